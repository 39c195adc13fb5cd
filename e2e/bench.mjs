// Browser benchmark of the CPU lab: one background worker vs. the wasm thread
// pool with k = navigator.hardwareConcurrency, on the classic 20 tasks.
//
// Builds nothing: it expects a RELEASE build of the app in ../dist
// (`trunk build --release`). Figures are the app's own `wallMs`: the median of several
// warm runs in one page, plus the first (cold) run of each mode on its own.
//
//   node bench.mjs [--runs 5] [--iters 2000000] [--root DIR] [--timeout 600]
//
// Human-readable table on stdout, progress on stderr, and as the last stdout
// line:  BENCH_JSON {...}

import fs from 'node:fs';
import path from 'node:path';
import {
  startServer,
  launch,
  watchPage,
  waitForStatus,
  assertNoPageErrors,
  describeDiagnostics,
  median,
  APP_ROOT,
  CLASSIC_TASKS,
} from './lib.mjs';

// CPython's results for the first four classic tasks at 2,000,000 iterations:
// a fast wrong answer is not a benchmark result.
const KNOWN_2M = ['1481646940', '580377468', '1601276774', '1844541556'];

function parseArgs(argv) {
  const opts = { runs: 5, iters: 2_000_000, root: APP_ROOT, timeoutS: 600 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    const positiveInt = (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${arg}: expected a positive integer, got ${v}`);
      return Number(v);
    };
    if (arg === '--runs') opts.runs = positiveInt(next());
    else if (arg === '--iters') opts.iters = positiveInt(next());
    else if (arg === '--timeout') opts.timeoutS = positiveInt(next());
    else if (arg === '--root') opts.root = path.resolve(next());
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return opts;
}

/** Names of the custom sections of a wasm module (cheap "is this a debug build?" hint). */
function wasmCustomSections(buf) {
  const names = [];
  if (buf.length < 8 || buf.readUInt32LE(0) !== 0x6d736100) return names;
  const leb = (pos) => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = buf[pos++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(byte & 0x80)) return [result, pos];
    }
  };
  let pos = 8;
  while (pos < buf.length) {
    const id = buf[pos++];
    let size;
    [size, pos] = leb(pos);
    const end = pos + size;
    if (id === 0) {
      const [len, p] = leb(pos);
      names.push(buf.toString('utf8', p, p + len));
    }
    pos = end;
  }
  return names;
}

function describeBuild(root) {
  const wasmFiles = [];
  const walk = (dir, depth) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 2) walk(full, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.wasm')) wasmFiles.push(full);
    }
  };
  walk(root, 0);
  return wasmFiles.map((file) => {
    const buf = fs.readFileSync(file);
    const sections = wasmCustomSections(buf);
    return {
      file: path.relative(root, file),
      bytes: buf.length,
      dwarf: sections.some((s) => s.startsWith('.debug')),
      names: sections.includes('name'),
    };
  });
}

const fmtMs = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(1));

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench.mjs: ${err.message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log('usage: node bench.mjs [--runs 5] [--iters 2000000] [--root DIR] [--timeout SECONDS]');
    return;
  }
  const index = path.join(opts.root, 'index.html');
  if (!fs.existsSync(index)) {
    console.error(
      `bench.mjs: ${index} is missing. The benchmark needs a RELEASE build of the app in ${opts.root}:\n` +
        '  run `trunk build --release` in the repository root first.',
    );
    process.exit(1);
  }
  const wasm = describeBuild(opts.root);
  if (wasm.length === 0) console.error(`bench.mjs: warning: no .wasm file found under ${opts.root}`);
  for (const w of wasm) {
    const notes = [w.dwarf && 'has DWARF debug info', w.names && 'has a name section'].filter(Boolean);
    console.error(`bench.mjs: ${w.file}: ${(w.bytes / 1024).toFixed(0)} KiB${notes.length ? `, ${notes.join(', ')}` : ''}`);
    if (w.dwarf) {
      console.error('bench.mjs: WARNING: this looks like a DEBUG build; the figures are not meaningful. Use `trunk build --release`.');
    }
  }

  const server = await startServer({ root: opts.root, isolated: true });
  let browser = null;
  let exitCode = 0;
  try {
    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const diag = watchPage(page);
    await page.goto(`${server.url}/`, { waitUntil: 'load' });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    if (!isolated) throw new Error('page is not cross-origin isolated; the parallel figures would be meaningless');

    // One page, like a user: the first run of each mode is "cold" (V8 still compiling the
    // wasm to optimized code on the same 2 cores), later runs are warm. Modes alternate so
    // both see the same machine conditions.
    await page.goto(`${server.url}/cpu?mode=worker&iters=${opts.iters}&tasks=${CLASSIC_TASKS}`, { waitUntil: 'load' });
    await page.waitForSelector('main[data-pool="ready"]', { timeout: 60_000 });
    const runOnce = async (label, mode, expectedTasks = 20) => {
      await page.click(`[data-testid="cpu-mode-${mode}"]`);
      if (mode === 'parallel') await page.selectOption('[data-testid="cpu-workers"]', 'all');
      const before = await page.textContent('[data-testid="results-json"]');
      await page.click('[data-testid="run"]');
      await page.waitForFunction(
        (prev) => {
          const text = (document.querySelector('[data-testid="results-json"]')?.textContent ?? '{}');
          return text !== prev && JSON.parse(text).status === 'done';
        },
        before,
        // The figure is the app's own wallMs, so slow polling costs nothing, while fast
        // polling would run on the page's thread beside the workers being measured.
        { timeout: opts.timeoutS * 1000, polling: 250 },
      );
      const json = JSON.parse(await page.textContent('[data-testid="results-json"]'));
      if (!Array.isArray(json.tasks) || json.tasks.length !== expectedTasks) {
        throw new Error(`${label}: expected ${expectedTasks} tasks, got ${JSON.stringify(json).slice(0, 500)}`);
      }
      if (typeof json.wallMs !== 'number' || !(json.wallMs > 0)) {
        throw new Error(`${label}: wallMs missing: ${JSON.stringify(json)}`);
      }
      if (expectedTasks === 20 && opts.iters === 2_000_000) {
        const firstFour = [...json.tasks].sort((a, b) => a.index - b.index).slice(0, 4).map((t) => t.result);
        if (JSON.stringify(firstFour) !== JSON.stringify(KNOWN_2M)) {
          throw new Error(`${label}: wrong results ${JSON.stringify(firstFour)}, CPython says ${JSON.stringify(KNOWN_2M)}`);
        }
      }
      return json;
    };
    const series = { worker: { cold: null, samples: [], workers: new Set() }, parallel: { cold: null, samples: [], workers: new Set() } };
    for (let round = 0; round <= opts.runs; round++) {
      for (const mode of ['worker', 'parallel']) {
        const json = await runOnce(`${mode} round ${round}`, mode);
        const s = series[mode];
        s.workers.add(json.workers);
        if (round === 0) s.cold = json.wallMs;
        else s.samples.push(json.wallMs);
        console.error(`bench.mjs: ${mode} ${round === 0 ? 'cold' : `run ${round}/${opts.runs}`}: ${fmtMs(json.wallMs)} ms (workers=${json.workers})`);
      }
    }
    const summary = (s) => ({ samples: s.samples, median: median(s.samples), cold: s.cold, workers: [...s.workers] });
    const sequential = summary(series.worker);
    const parallel = summary(series.parallel);

    // The tiny-tasks preset: 1,000 tasks of 100 iterations, where handing out tasks costs
    // about as much as doing them. Its blurb makes a claim; this measures it.
    await page.goto(`${server.url}/cpu?mode=worker&iters=100&tasks=1-2*1000`, { waitUntil: 'load' });
    await page.waitForSelector('main[data-pool="ready"]', { timeout: 60_000 });
    const tiny = { worker: [], parallel: [] };
    for (let round = 0; round <= opts.runs; round++) {
      for (const mode of ['worker', 'parallel']) {
        const json = await runOnce(`tiny ${mode} round ${round}`, mode, 1000);
        if (round > 0) tiny[mode].push(json.wallMs);
      }
    }
    const tinySequential = median(tiny.worker);
    const tinyParallel = median(tiny.parallel);
    const tinySpeedup = tinyParallel > 0 ? tinySequential / tinyParallel : null;
    assertNoPageErrors(page);
    const speedup = parallel.median > 0 ? sequential.median / parallel.median : null;

    const rows = [
      ['figure', 'value'],
      ['wasm sequential ms (1 worker)', fmtMs(sequential.median)],
      [`wasm parallel ms (k = ${cores} cores)`, fmtMs(parallel.median)],
      ['speedup (sequential / parallel)', speedup === null ? 'n/a' : `${speedup.toFixed(2)}x`],
      ['first (cold) run: sequential ms', fmtMs(sequential.cold)],
      ['first (cold) run: parallel ms', fmtMs(parallel.cold)],
      ['tiny tasks (1,000 x 100 iters): 1 worker ms', fmtMs(tinySequential)],
      [`tiny tasks: ${cores} workers ms`, fmtMs(tinyParallel)],
      ['tiny tasks: speedup', tinySpeedup === null ? 'n/a' : `${tinySpeedup.toFixed(2)}x`],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    const line = (r) => `| ${r[0].padEnd(w0)} | ${r[1].padStart(w1)} |`;
    console.log(`CPU lab, ${opts.iters} iterations, 20 classic tasks, median of ${opts.runs} warm runs, Chromium ${browser.version()}`);
    console.log(line(rows[0]));
    console.log(`|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 2)}|`);
    for (const r of rows.slice(1)) console.log(line(r));

    const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
    const figures = {
      iterations: opts.iters,
      tasks: 20,
      runs: opts.runs,
      cores,
      k: cores,
      wasm_sequential_ms: round(sequential.median),
      wasm_parallel_ms: round(parallel.median),
      speedup: round(speedup),
      wasm_sequential_runs_ms: sequential.samples.map(round),
      wasm_parallel_runs_ms: parallel.samples.map(round),
      wasm_sequential_cold_ms: round(sequential.cold),
      wasm_parallel_cold_ms: round(parallel.cold),
      tiny_sequential_ms: round(tinySequential),
      tiny_parallel_ms: round(tinyParallel),
      tiny_speedup: round(tinySpeedup),
      workers_reported: { sequential: sequential.workers, parallel: parallel.workers },
      chromium: browser.version(),
      wasm_debug_info: wasm.some((w) => w.dwarf),
    };
    console.log(`BENCH_JSON ${JSON.stringify(figures)}`);
    if (diag.consoleErrors.length) {
      console.error(`bench.mjs: console errors seen:\n${describeDiagnostics(diag)}`);
    }
  } catch (err) {
    console.error(`bench.mjs: FAILED: ${err.message}`);
    exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.close();
  }
  process.exitCode = exitCode;
}

await main();
