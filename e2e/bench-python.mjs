// The Python lab's benchmark, in headless Chromium against a release build in ../dist:
//   1. the bytes the lab downloads (raw, gzip -9 and brotli -11 as a host would serve them);
//   2. cold start (empty browser cache) and warm start (Cache Storage filled) to the first
//      result of the queue-pipeline preset, median of 3;
//   3. the cpu-seq preset in the page against python3 on this machine;
//   4. process pools: child start-up cold and warm, the tutorial's program (process-pool
//      preset) on one interpreter and on 2, and python3's ProcessPoolExecutor for it.
// Figures only; nothing here fails on a slow machine. Last line: BENCH_PYTHON_JSON {...}
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { startServer, launch, APP_ROOT, median } from './lib.mjs';
import { PYTHON, programSource, encodeCode } from './tests/python-helpers.mjs';

const status = (page, wanted) =>
  page.waitForFunction(
    (w) => w.includes(JSON.parse((document.querySelector('[data-testid="results-json"]')?.textContent ?? '{}')).status),
    wanted,
    { timeout: 180_000, polling: 20 },
  );
const results = (page) => page.textContent('[data-testid="results-json"]').then((t) => JSON.parse(t));
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

const html = fs.readFileSync(path.join(APP_ROOT, 'index.html'), 'utf8');
const assets = JSON.parse(/name="playground-assets" content='([^']+)'/.exec(html)[1]);
const files = [...assets.files.map((f) => path.join(assets.pyodide, f.name)), assets.worker, assets.editor];
const out = { machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}`, files: [], starts: {}, cpuSeq: {} };
console.log(`Python lab: what it downloads (${out.machine})`);
let raw = 0, gz = 0, br = 0;
for (const f of files) {
  const bytes = fs.readFileSync(path.join(APP_ROOT, f));
  const row = {
    file: f,
    raw: bytes.length,
    gzip: zlib.gzipSync(bytes, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length,
  };
  raw += row.raw; gz += row.gzip; br += row.brotli;
  out.files.push(row);
  console.log(`  ${f.padEnd(42)} ${mb(row.raw).padStart(9)} raw ${mb(row.gzip).padStart(9)} gzip ${mb(row.brotli).padStart(9)} brotli`);
}
out.total = { raw, gzip: gz, brotli: br };
console.log(`  ${'total'.padEnd(42)} ${mb(raw).padStart(9)} raw ${mb(gz).padStart(9)} gzip ${mb(br).padStart(9)} brotli`);

const server = await startServer({ root: APP_ROOT, isolated: true });
const browser = await launch();
try {
  console.log('\nstart to the first result (queue-pipeline preset; served from 127.0.0.1, so no network time)');
  const cold = [], warm = [];
  for (let i = 0; i < 3; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const list of [cold, warm]) {
      const t0 = Date.now();
      await page.goto(`${server.url}/python?preset=queue-pipeline&run=1`);
      await status(page, ['done', 'error']);
      list.push(Date.now() - t0);
    }
    await context.close();
  }
  out.starts = { coldMs: median(cold), warmMs: median(warm), cold, warm };
  console.log(`  cold (empty cache):    ${median(cold)} ms   (runs: ${cold.join(', ')})`);
  console.log(`  warm (Cache Storage):  ${median(warm)} ms   (runs: ${warm.join(', ')})`);

  console.log('\ncpu-seq: the tutorial\'s 20 CPU-bound tasks, one after another');
  const page = await browser.newPage();
  await page.goto(`${server.url}/python?preset=cpu-seq&run=1`);
  await status(page, ['done', 'error']);
  const json = await results(page);
  const inPage = Number(/one after another: (\S+) s/.exec(json.stdout)?.[1]);
  const natives = [];
  for (let i = 0; i < 3; i++) {
    const text = execFileSync(PYTHON, ['-'], { input: programSource('cpu-seq'), encoding: 'utf8' });
    natives.push(Number(/one after another: (\S+) s/.exec(text)?.[1]));
  }
  const version = execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
  out.cpuSeq = { pyodideS: inPage, python: json.python, nativeS: median(natives), nativePython: version, ratio: inPage / median(natives) };
  console.log(`  CPython ${json.python} (Pyodide) in the page: ${inPage.toFixed(2)} s`);
  console.log(`  CPython ${version} natively (median of 3):  ${median(natives).toFixed(2)} s`);
  console.log(`  the page is ${(inPage / median(natives)).toFixed(2)}x the native time`);
  await page.close();

  out.pool = await benchPools();
} finally {
  await browser.close();
  await server.close();
}
console.log(`BENCH_PYTHON_JSON ${JSON.stringify(out)}`);

async function benchPools() {
  // A warm run can end before a poll sees it running: wait for a new finished document.
  const click = async (page, id) => {
    const before = await page.textContent('[data-testid="results-json"]');
    await page.click(`[data-testid="${id}"]`);
    await page.waitForFunction(
      (prev) => {
        const text = document.querySelector('[data-testid="results-json"]')?.textContent ?? '{}';
        return text !== prev && ['done', 'error', 'stopped'].includes(JSON.parse(text).status);
      },
      before,
      { timeout: 180_000, polling: 20 },
    );
    return results(page);
  };
  const seconds = (json) => Number(/max_workers=\d+: (\S+) s/.exec(json.stdout)?.[1]);
  const pool = {};

  console.log('\nprocess pools: child interpreter start-up (a pool of 2 to its first result)');
  const tiny = 'from concurrent.futures import ProcessPoolExecutor\n\nif __name__ == "__main__":\n    with ProcessPoolExecutor(2) as ex:\n        print(ex.submit(abs, -1).result())\n';
  const coldStart = [], warmStart = [];
  for (let i = 0; i < 3; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/python?code=${encodeCode(tiny)}&run=1`);
    await status(page, ['done', 'error']);
    coldStart.push((await results(page)).pool.figures.startupMs);
    warmStart.push((await click(page, 'py-run')).pool.figures.startupMs);
    await context.close();
  }
  pool.startup = { coldMs: median(coldStart), warmMs: median(warmStart), cold: coldStart, warm: warmStart };
  console.log(`  cold (a new CPython each):        ${median(coldStart).toFixed(0)} ms   (runs: ${coldStart.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`  warm (kept; imports the program): ${median(warmStart).toFixed(1)} ms   (runs: ${warmStart.map((x) => x.toFixed(1)).join(', ')})`);

  console.log("\nprocess-pool: the tutorial's 20 tasks, 2,000,000 rounds each, max_workers=2");
  const program = programSource('process-pool').replace('workers = max(1, multiprocessing.cpu_count() // 2)', 'workers = 2');
  const page = await browser.newPage();
  await page.goto(`${server.url}/python?code=${encodeCode(program)}&run=1`);
  await status(page, ['done', 'error']);
  const first = await results(page);
  const warm = await click(page, 'py-run');
  const one = await click(page, 'py-run-on-one');
  await page.close();
  const nativeOne = median([0, 1, 2].map(() => Number(/one after another: (\S+) s/.exec(execFileSync(PYTHON, ['-'], { input: programSource('cpu-seq'), encoding: 'utf8' }))?.[1])));
  const nativePool = median([0, 1, 2].map(() => seconds({ stdout: execFileSync(PYTHON, ['-'], { input: program, encoding: 'utf8' }) })));
  pool.tutorial = {
    firstRunS: seconds(first),
    warmS: seconds(warm),
    oneInterpreterS: seconds(one),
    speedupWarm: seconds(one) / seconds(warm),
    taskSumMs: warm.pool.figures.taskMs,
    picklingMs: warm.pool.figures.picklingMs,
    nativeSequentialS: nativeOne,
    nativePoolS: nativePool,
    nativeSpeedup: nativeOne / nativePool,
  };
  const t = pool.tutorial;
  console.log(`  in the page, first run (children start):  ${t.firstRunS.toFixed(2)} s`);
  console.log(`  in the page, warm pool of 2:               ${t.warmS.toFixed(2)} s   (tasks' own time summed ${(t.taskSumMs / 1000).toFixed(2)} s, pickling ${t.picklingMs.toFixed(1)} ms)`);
  console.log(`  in the page, one interpreter:              ${t.oneInterpreterS.toFixed(2)} s   speedup ${t.speedupWarm.toFixed(2)}x`);
  console.log(`  ${PYTHON.includes('3.11') ? 'python3.11' : 'python3'} one after another (median of 3):  ${t.nativeSequentialS.toFixed(2)} s`);
  console.log(`  ${PYTHON.includes('3.11') ? 'python3.11' : 'python3'} ProcessPoolExecutor(2) (median of 3): ${t.nativePoolS.toFixed(2)} s   speedup ${t.nativeSpeedup.toFixed(2)}x`);
  return pool;
}
