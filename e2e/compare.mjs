// Joins the native and browser halves of the CPU benchmark and prints the ratios the
// project tracks. Figures only: it never fails because a machine is slow.
const [nativeRaw, browserRaw, raceNativeRaw, raceBrowserRaw] = process.argv.slice(2);
const parse = (raw, what) => {
  try {
    return JSON.parse(raw);
  } catch {
    console.error(`compare: no ${what} figures (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
};
const native = parse(nativeRaw, 'native');
const browser = parse(browserRaw, 'browser');
const cores = browser.cores ?? native.cores;
const rows = [
  ['wasm sequential (1 worker)', browser.wasm_sequential_ms],
  [`wasm parallel (${browser.k} workers)`, browser.wasm_parallel_ms],
  ['native sequential', native.nativeSequentialMs],
  [`native rayon (${native.cores} threads)`, native.nativeParallelMs],
];
const fmt = (v) => `${v.toFixed(1).padStart(8)} ms`;
console.log('\nCPU lab benchmark: classic 20 tasks x 2,000,000 iterations (medians)');
for (const [name, ms] of rows) console.log(`  ${name.padEnd(30)} ${fmt(ms)}`);
const wasmSpeedup = browser.wasm_sequential_ms / browser.wasm_parallel_ms;
const nativeSpeedup = native.nativeSequentialMs / native.nativeParallelMs;
const seqRatio = browser.wasm_sequential_ms / native.nativeSequentialMs;
const parRatio = browser.wasm_parallel_ms / native.nativeParallelMs;
const line = (name, value, target, ok) =>
  console.log(`  ${name.padEnd(30)} ${value.padStart(11)}   target ${target.padEnd(10)} ${ok ? 'met' : 'NOT met'}`);
console.log('');
line('wasm parallel speedup', `${wasmSpeedup.toFixed(2)}x`, `>= ${(0.9 * cores).toFixed(2)}x`, wasmSpeedup >= 0.9 * cores);
line('native parallel speedup', `${nativeSpeedup.toFixed(2)}x`, '(reference)', true);
line('wasm/native sequential', `${seqRatio.toFixed(2)}x`, '<= 1.30x', seqRatio <= 1.3);
line('wasm/native parallel', `${parRatio.toFixed(2)}x`, '(reference)', true);
if (browser.tiny_speedup !== undefined && browser.tiny_speedup !== null) {
  console.log(
    `\n  tiny-tasks preset (1,000 tasks x 100 iterations): 1 worker ${browser.tiny_sequential_ms.toFixed(1)} ms, ` +
      `${browser.k} workers ${browser.tiny_parallel_ms.toFixed(1)} ms: ${browser.tiny_speedup.toFixed(2)}x`,
  );
}
console.log(
  `BENCH_SUMMARY ${JSON.stringify({ cores, wasmSpeedup, nativeSpeedup, wasmOverNativeSequential: seqRatio, wasmOverNativeParallel: parRatio })}`,
);

if (raceNativeRaw && raceBrowserRaw) {
  const rn = parse(raceNativeRaw, 'native race');
  const rb = parse(raceBrowserRaw, 'browser race');
  console.log('\nRace lab: exhaustive count of the bank scenario (median of 3)');
  console.log('  threads  interleavings    states   native ms  browser ms  browser/native');
  for (const n of rn) {
    const b = rb.find((r) => r.threads === n.threads);
    const ratio = b && n.ms > 0 ? (b.ms / n.ms).toFixed(2) + 'x' : 'n/a';
    console.log(`  ${String(n.threads).padStart(7)}  ${n.total.padStart(13)}  ${String(n.states).padStart(8)}  ${n.ms.toFixed(2).padStart(10)}  ${(b ? b.ms.toFixed(2) : 'n/a').padStart(10)}  ${ratio.padStart(14)}`);
  }
  const six = rb.find((r) => r.threads === 6);
  if (six) console.log(`  6 threads in the browser: ${six.ms.toFixed(1)} ms (target: well under 1000 ms) ${six.ms < 1000 ? 'met' : 'NOT met'}`);
}
