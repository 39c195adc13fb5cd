// The Python lab's benchmark, in headless Chromium against a release build in ../dist:
//   1. the bytes the lab downloads (raw, gzip -9 and brotli -11 as a host would serve them);
//   2. cold start (empty browser cache), warm start without a snapshot (Cache Storage
//      filled, CPython started plainly: how every start was before snapshots) and warm
//      start from the snapshot, each to the first result of the queue-pipeline preset,
//      median of 3;
//   3. the cpu-seq preset in the page against python3 on this machine;
//   4. process pools: child start-up cold (plain, and restored from the snapshot) and warm,
//      what eight children cost in memory, the tutorial's program (process-pool preset) on
//      one interpreter and on 2, and python3's ProcessPoolExecutor for it.
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
// The snapshot loader.js keeps in the origin's private file system.
const SNAPSHOT_DIR = 'pyodide-snapshots';
const hasSnapshot = (page) =>
  page.evaluate(async (dirName) => {
    try {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(dirName);
      for await (const name of dir.keys()) if (name.endsWith('.bin')) return true;
    } catch {
      // no directory yet
    }
    return false;
  }, SNAPSHOT_DIR);
const waitForSnapshot = async (page) => {
  for (let waited = 0; waited < 120_000; waited += 100) {
    if (await hasSnapshot(page)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no snapshot was stored within 120 s');
};
const forgetSnapshot = (page) =>
  page.evaluate(async (dirName) => {
    try {
      await (await navigator.storage.getDirectory()).removeEntry(dirName, { recursive: true });
    } catch {
      // none
    }
  }, SNAPSHOT_DIR);
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
// Memory is measured at once rather than at the next garbage collection.
const browser = await launch({ args: ['--enable-blink-features=ForceEagerMeasureMemory'] });
try {
  console.log('\nstart to the first result (queue-pipeline preset; served from 127.0.0.1, so no network time)');
  const cold = [], warmPlain = [], warmSnapshot = [], loads = { cold: [], warmPlain: [], warmSnapshot: [] };
  const visit = async (page, list, key, kind) => {
    const t0 = Date.now();
    await page.goto(`${server.url}/python?preset=queue-pipeline&run=1`);
    await status(page, ['done', 'error']);
    list.push(Date.now() - t0);
    const start = (await results(page)).interpreterStart;
    if (start?.kind !== kind) throw new Error(`expected a ${kind} start, got ${JSON.stringify(start)}`);
    loads[key].push(start.loadMs);
  };
  for (let i = 0; i < 3; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await visit(page, cold, 'cold', 'plain');
    await waitForSnapshot(page);
    await forgetSnapshot(page);
    await visit(page, warmPlain, 'warmPlain', 'plain');
    await waitForSnapshot(page);
    await visit(page, warmSnapshot, 'warmSnapshot', 'snapshot');
    await context.close();
  }
  out.starts = {
    coldMs: median(cold), warmPlainMs: median(warmPlain), warmSnapshotMs: median(warmSnapshot),
    cold, warmPlain, warmSnapshot,
    interpreterLoadMs: Object.fromEntries(Object.entries(loads).map(([k, v]) => [k, median(v)])),
  };
  console.log(`  cold (empty cache, plain start):          ${median(cold)} ms   (runs: ${cold.join(', ')}; CPython itself ${median(loads.cold)} ms)`);
  console.log(`  warm, plain start (before snapshots):     ${median(warmPlain)} ms   (runs: ${warmPlain.join(', ')}; CPython itself ${median(loads.warmPlain)} ms)`);
  console.log(`  warm, restored from the snapshot (after): ${median(warmSnapshot)} ms   (runs: ${warmSnapshot.join(', ')}; CPython itself ${median(loads.warmSnapshot)} ms)`);
  console.log(`  the snapshot makes a warm start ${(median(warmPlain) / median(warmSnapshot)).toFixed(2)}x faster`);

  console.log('\ncpu-seq: the tutorial\'s 20 CPU-bound tasks, one after another (second run: V8 compiles CPython\'s\n  WebAssembly again in the background after a start, so a first run soon after one is slower)');
  const page = await browser.newPage();
  await page.goto(`${server.url}/python?preset=cpu-seq&run=1`);
  await status(page, ['done', 'error']);
  const firstRun = Number(/one after another: (\S+) s/.exec((await results(page)).stdout)?.[1]);
  const before = await page.textContent('[data-testid="results-json"]');
  await page.click('[data-testid="py-run"]');
  await page.waitForFunction(
    (prev) => {
      const text = document.querySelector('[data-testid="results-json"]')?.textContent ?? '{}';
      return text !== prev && JSON.parse(text).status === 'done';
    },
    before,
    { timeout: 180_000, polling: 50 },
  );
  const json = await results(page);
  const inPage = Number(/one after another: (\S+) s/.exec(json.stdout)?.[1]);
  const natives = [];
  for (let i = 0; i < 3; i++) {
    const text = execFileSync(PYTHON, ['-'], { input: programSource('cpu-seq'), encoding: 'utf8' });
    natives.push(Number(/one after another: (\S+) s/.exec(text)?.[1]));
  }
  const version = execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
  out.cpuSeq = { pyodideS: inPage, firstRunS: firstRun, python: json.python, nativeS: median(natives), nativePython: version, ratio: inPage / median(natives) };
  console.log(`  CPython ${json.python} (Pyodide) in the page: ${inPage.toFixed(2)} s   (first run after the start: ${firstRun.toFixed(2)} s)`);
  console.log(`  CPython ${version} natively (median of 3):  ${median(natives).toFixed(2)} s`);
  console.log(`  the page is ${(inPage / median(natives)).toFixed(2)}x the native time`);
  await page.close();

  out.pool = await benchPools();
} finally {
  await browser.close();
  await server.close();
}
console.log(`BENCH_PYTHON_JSON ${JSON.stringify(out)}`);

/** What eight children restored from the snapshot cost: the page's memory as Chromium
 *  measures it (performance.measureUserAgentSpecificMemory), split by worker. */
async function benchPoolMemory(program) {
  console.log('\nprocess pools: memory of eight children restored from the snapshot');
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}/python?code=${encodeCode(program)}&run=1`);
    await status(page, ['done', 'error']);
    await waitForSnapshot(page);
    await page.goto(`${server.url}/python?code=${encodeCode(program)}&run=1`);
    await status(page, ['done', 'error']);
    const children = (await results(page)).pool.startups.length;
    const measured = await page.evaluate(async () => {
      if (typeof performance.measureUserAgentSpecificMemory !== 'function') return null;
      const m = await performance.measureUserAgentSpecificMemory();
      const byWorker = {};
      for (const entry of m.breakdown) {
        for (const a of entry.attribution) {
          const name = a.scope === 'DedicatedWorkerGlobalScope' ? a.url.split('/').pop() : a.scope;
          byWorker[`${a.scope}:${name}`] = (byWorker[`${a.scope}:${name}`] ?? 0) + entry.bytes / entry.attribution.length;
        }
      }
      return { total: m.bytes, byWorker };
    });
    if (!measured) {
      console.log('  (this Chromium cannot measure it)');
      return { children, measured: null };
    }
    const perChild = (measured.total / Math.max(children + 1, 1)) / 1e6;
    console.log(`  ${children} children and the lab's own interpreter: ${(measured.total / 1e6).toFixed(0)} MB in all, about ${perChild.toFixed(0)} MB an interpreter`);
    console.log(`  eight children ${measured.total < 1e9 ? 'stay' : 'do NOT stay'} under 1 GB`);
    return { children, totalBytes: measured.total, perInterpreterMB: perChild };
  } finally {
    await context.close();
  }
}

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
  const coldStart = [], snapshotStart = [], warmStart = [];
  for (let i = 0; i < 3; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/python?code=${encodeCode(tiny)}&run=1`);
    await status(page, ['done', 'error']);
    coldStart.push((await results(page)).pool.figures.startupMs);
    await waitForSnapshot(page);
    // A new page: a new lab interpreter, whose children restore the snapshot.
    await page.goto(`${server.url}/python?code=${encodeCode(tiny)}&run=1`);
    await status(page, ['done', 'error']);
    snapshotStart.push((await results(page)).pool.figures.startupMs);
    warmStart.push((await click(page, 'py-run')).pool.figures.startupMs);
    await context.close();
  }
  pool.startup = {
    coldMs: median(coldStart), snapshotMs: median(snapshotStart), warmMs: median(warmStart),
    cold: coldStart, snapshot: snapshotStart, warm: warmStart,
  };
  const runs = (list, digits) => list.map((x) => x.toFixed(digits)).join(', ');
  console.log(`  cold, plain (a new CPython each, before snapshots): ${median(coldStart).toFixed(0)} ms   (runs: ${runs(coldStart, 0)})`);
  console.log(`  cold, each restored from the snapshot (after):      ${median(snapshotStart).toFixed(0)} ms   (runs: ${runs(snapshotStart, 0)})`);
  console.log(`  warm (kept; imports the program):                   ${median(warmStart).toFixed(1)} ms   (runs: ${runs(warmStart, 1)})`);

  pool.memory = await benchPoolMemory(tiny.replace('ProcessPoolExecutor(2)', 'ProcessPoolExecutor(8)').replace('ex.submit(abs, -1).result()', 'sum(ex.map(abs, range(-64, 0)))'));

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
