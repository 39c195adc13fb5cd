#!/usr/bin/env bash
# Installs what is missing, then runs every test tier:
#   1. native `cargo test` (the pure core: simulators, codecs, geometry), then the web
#      side's unit tests (scripts/unit-web.sh: node --test and CPython unittest)
#   2. `wasm-pack test --headless --chrome`, then `--firefox` (code that needs a real
#      browser and threads)
#   3. end-to-end tests in Chromium (Playwright) against a release build, on the project's
#      test server and on stand-ins for static hosts (e2e/hosts.mjs)
#   4. the same release build in Firefox ESR (Playwright, WebDriver BiDi) and WebKitGTK
#      (WebDriver, MiniBrowser under xvfb-run), with and without SharedArrayBuffer
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
# A RUSTFLAGS variable would replace the wasm flags in .cargo/config.toml.
unset RUSTFLAGS

step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

step "native tests"
cargo test --workspace --locked

step "browser tests (wasm-pack, headless Chromium)"
wasm-pack test --headless --chrome -- --locked

step "browser tests (wasm-pack, headless Firefox ESR)"
wasm-pack test --headless --firefox -- --locked

step "unit tests of the web side (node --test, CPython unittest)"
scripts/unit-web.sh

step "release build"
trunk build --release --locked

step "end-to-end tests (Playwright, Chromium)"
(cd e2e && npm test)

step "browser tiers (Firefox ESR, WebKitGTK)"
(cd e2e && npm run test:engines)
