#!/usr/bin/env bash
# Benchmarks, not tests: they print figures and ratios and never fail on a slow machine.
#   CPU lab: the 20-task preset natively (sequential, rayon) and in headless Chromium
#            (one worker, all cores), with speedups and wasm/native ratios.
#   Race lab: exhaustive counting of the bank scenario, 2..8 threads, native and browser.
#   Async lab: 15 requests of 200 ms per mode against the ideal, and 10,000 concurrent
#              requests with the largest pause of the page thread.
#   Threads lab: the GIL simulator's events per second (32 threads x 60 simulated s), and
#              the real GIL-style lock on threads and Web Workers, with and without it.
#   Python lab: the bytes it downloads (raw, gzip, brotli), cold and warm start to the
#              first result, the cpu-seq preset in the page against python3, and process pools
#              (child start-up cold and warm, the tutorial's program on 1 and 2 interpreters
#              and python3's ProcessPoolExecutor for it).
#   Load:      bytes per route (transferred, raw, gzip, brotli) and time to a usable page,
#              cold and warm, on loopback and at DevTools' "Fast 4G" throttling.
#   Engines:   time to a drawn page per route in Chromium, Firefox ESR and WebKitGTK,
#              cold and warm, beside each route's first-visit bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS
trunk build --release --locked >/dev/null
native_out=$(cargo run --release --locked --quiet --bin bench-native)
echo "$native_out" | grep -v '^BENCH_'
# Progress goes to stderr and is dropped, but a failure says why on its last line.
browser_out=$(cd e2e && node bench.mjs 2>/tmp/bench-cpu.err) || { tail -n 3 /tmp/bench-cpu.err >&2; exit 1; }
echo "$browser_out" | grep -v '^BENCH_'
race_out=$(cd e2e && node bench-race.mjs)
echo "$race_out" | grep -v '^BENCH_'
(cd e2e && node bench-async.mjs 2>/tmp/bench-async.err) | grep -v '^BENCH_' || { tail -n 3 /tmp/bench-async.err >&2; exit 1; }
(cd e2e && node bench-threads.mjs 2>/tmp/bench-threads.err) | grep -v '^BENCH_' || { tail -n 3 /tmp/bench-threads.err >&2; exit 1; }
(cd e2e && node bench-python.mjs 2>/tmp/bench-python.err) | grep -v '^BENCH_' || { tail -n 3 /tmp/bench-python.err >&2; exit 1; }
(cd e2e && node bench-load.mjs 2>/tmp/bench-load.err) | grep -v '^BENCH_' || { tail -n 3 /tmp/bench-load.err >&2; exit 1; }
(cd e2e && node bench-engines.mjs 2>/tmp/bench-engines.err) | grep -v '^BENCH_' || { tail -n 3 /tmp/bench-engines.err >&2; exit 1; }
node e2e/compare.mjs \
  "$(echo "$native_out" | sed -n 's/^BENCH_JSON //p')" \
  "$(echo "$browser_out" | sed -n 's/^BENCH_JSON //p')" \
  "$(echo "$native_out" | sed -n 's/^BENCH_RACE_JSON //p')" \
  "$(echo "$race_out" | sed -n 's/^BENCH_RACE_JSON //p')"
