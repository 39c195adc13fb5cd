#!/usr/bin/env bash
# Installs what is missing, then builds and serves the app on http://127.0.0.1:8080 with
# the cross-origin isolation headers (from Trunk.toml) that Web Worker threads need.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh serve
export PATH="$HOME/.cargo/bin:$PATH"
exec trunk serve --release "$@"
