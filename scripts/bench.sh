#!/usr/bin/env bash
# Benchmark, not a test: prints figures and ratios, never fails on a slow machine.
# The CPU lab's 20-task preset natively (sequential and rayon) and in headless Chromium
# (one worker and all cores), from a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS
trunk build --release --locked >/dev/null
native=$(cargo run --release --locked --quiet --bin bench-native | tee /dev/stderr | sed -n 's/^BENCH_JSON //p')
browser=$(cd e2e && node bench.mjs | tee /dev/stderr | sed -n 's/^BENCH_JSON //p')
node e2e/compare.mjs "$native" "$browser"
