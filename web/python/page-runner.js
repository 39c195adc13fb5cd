// The lab worker's work for the page: load CPython (init), run programs with runtime.py
// (run), stop them (stop), and post what happens (protocol.json, pageToWorker and
// workerToPage). It runs off the page's thread so that no program, however busy, freezes
// the page.
//
// Every message is answered: a run that comes before CPython is ready waits for it (and
// is refused with "crashed" if CPython failed to load); a stop for a run still waiting
// removes it and finishes it as stopped; a message that does not fit the protocol is
// reported (protocol-error, or crashed for a run whose id is readable).

import { checker, errorText } from './protocol.js';

const checkFromPage = checker('pageToWorker');

export const SNAPSHOT_IDLE_MS = 1000;

/** runtime.py's record of a run stopped before any of it ran. */
export function stoppedRecord() {
  return JSON.stringify({
    status: 'stopped',
    exception: { type: 'KeyboardInterrupt', message: '', line: null, traceback: 'KeyboardInterrupt\n' },
    wallMs: 0,
    tasks: [],
    ticks: [],
    cut: false,
    pool: null,
    threadsStarted: 0,
    threads: null,
  });
}

/**
 * `post` sends to the page; `load(indexURL, files, onProgress)` resolves to
 * `{ pyodide, start }`, a Pyodide with the lab's modules and how it started ('snapshot' or
 * 'plain'); `makeSnapshot(indexURL, files)` stores one for the next start (loader.js); `createPool(options)` makes the process pools' parent
 * (pool-parent.js), `startTicker(interrupt)` the clock of busy threads' switches (ticker.js)
 * and `createThreadsHost(ticker)` what threads.py needs (threads-host.js).
 */
export function createPageRunner({
  post,
  load,
  stackSwitching,
  createPool,
  createThreadsHost,
  startTicker = async () => null,
  makeSnapshot = null,
  forgetOldCaches = () => {},
  now = () => performance.now(),
  setTimer = setTimeout,
  clearTimer = clearTimeout,
}) {
  let phase = 'waiting'; // then 'loading', and 'ready' or 'failed'
  let failure = null;
  let runtime = null;
  let interruptArray = null;
  let pool = null;
  let currentRun = null;
  const queue = [];
  let started = null; // how CPython started: 'snapshot' or 'plain'
  let snapshotWanted = false;
  let assets = null;

  // After a plain start, a throwaway worker makes the snapshot the next start restores.
  // It takes a core for about two seconds, so it waits until CPython has been idle for
  // SNAPSHOT_IDLE_MS: the run a link asks for arrives just after "ready", and a first
  // program should not share two cores with a second interpreter's start.
  let snapshotTimer = null;
  function snapshotWhenIdle() {
    if (!snapshotWanted || snapshotTimer !== null) return;
    // A run clears it (snapshotNotYet), and next() arms it again when the run ends.
    snapshotTimer = setTimer(() => {
      snapshotTimer = null;
      snapshotWanted = false;
      makeSnapshot(assets.indexURL, assets.files).catch((error) => {
        console.warn('no CPython snapshot was made; the next start is a plain one too:', errorText(error));
      });
    }, SNAPSHOT_IDLE_MS);
  }
  function snapshotNotYet() {
    if (snapshotTimer === null) return;
    clearTimer(snapshotTimer);
    snapshotTimer = null;
  }

  // stdout and stderr, batched so that a program printing in a tight loop sends a message
  // every 40 ms rather than one per line; the timer flushes whatever is left when Python
  // gives the thread back.
  let pending = [];
  let lastPost = 0;
  let flushTimer = null;
  function flushOutput() {
    if (flushTimer !== null) {
      clearTimer(flushTimer);
      flushTimer = null;
    }
    if (pending.length === 0) return;
    for (const chunk of mergeChunks(pending)) post(chunk);
    pending = [];
    lastPost = now();
  }
  function emit(stream, text) {
    pending.push({ type: 'output', run: currentRun, stream, text });
    if (now() - lastPost > 40) flushOutput();
    else if (flushTimer === null) flushTimer = setTimer(flushOutput, 40);
  }

  async function init({ indexURL, files, interrupt }) {
    phase = 'loading';
    const initAt = now();
    // Busy threads are switched only with a ticker, which needs the interrupt buffer;
    // without one (or if it fails to start) they switch when they block. It starts
    // while CPython loads.
    const tickerStarting =
      interrupt && stackSwitching
        ? startTicker(new Int32Array(interrupt)).catch((error) => {
            console.warn('threads will not be switched while busy:', errorText(error));
            return null;
          })
        : Promise.resolve(null);
    try {
      forgetOldCaches();
      // Progress at most every 50 ms (and the last): a message per 64 KB chunk redrew the
      // page 200 times, on the cores CPython's compilation needs.
      let lastProgress = -Infinity;
      const progress = (loaded, total, file) => {
        const at = now();
        if (at - lastProgress < 50 && loaded < total) return;
        lastProgress = at;
        post({ type: 'progress', loaded, total, file });
      };
      const { pyodide, start: startKind } = await load(indexURL, files, progress);
      started = startKind;
      snapshotWanted = startKind === 'plain' && makeSnapshot !== null;
      assets = { indexURL, files };
      let interrupts = false;
      if (interrupt) {
        interruptArray = new Int32Array(interrupt);
        // A Stop for a run that waited for this is answered already; left up, the flag
        // would interrupt the imports below.
        Atomics.store(interruptArray, 0, 0);
        pyodide.setInterruptBuffer(interruptArray);
        interrupts = true;
      }
      runtime = pyodide.pyimport('playground_runtime');
      pool = createPool({
        assets: () => ({ indexURL, files }),
        flushOutput,
        interrupt: () => interruptArray,
        onProtocolError: (message) => post({ type: 'protocol-error', message }),
      });
      pyodide.pyimport('playground_pool').install(pool.api());
      const ticker = await tickerStarting;
      pyodide.pyimport('playground_threads').install(createThreadsHost(ticker));
      phase = 'ready';
      post({ type: 'ready', python: runtime.python_version(), interrupts, stackSwitching, start: started, loadMs: Math.round(now() - initAt) });
    } catch (error) {
      phase = 'failed';
      failure = errorText(error);
      post({ type: 'load-failed', message: failure });
    }
    next();
  }

  // The next waiting run, once CPython is ready and no other run is going.
  function next() {
    if (phase === 'failed') {
      for (const { run } of queue.splice(0)) refuseRun(run);
      return;
    }
    if (phase !== 'ready' || currentRun !== null) return;
    if (queue.length === 0) {
      snapshotWhenIdle();
      return;
    }
    start(queue.shift());
  }

  function refuseRun(run) {
    post({ type: 'crashed', run, message: `CPython did not load: ${failure}` });
  }

  async function start({ run, code, pool: poolMode }) {
    currentRun = run;
    snapshotNotYet();
    pool.beginRun(run, { one: poolMode === 'one' });
    if (interruptArray) Atomics.store(interruptArray, 0, 0);
    try {
      // With stack switching (Chromium), the program runs as it is and asyncio.run() waits
      // by suspending WebAssembly; without it, runtime.py turns asyncio.run into an await.
      const result = stackSwitching ? await runtime.run.callPromising(code, emit) : await runtime.run_async(code, emit);
      flushOutput();
      post({ type: 'finished', run, result });
    } catch (error) {
      flushOutput();
      post({ type: 'crashed', run, message: errorText(error) });
    } finally {
      currentRun = null;
      pool.endRun();
      next();
    }
  }

  // Stop reaches here only when Python is not running: either it already took the
  // KeyboardInterrupt, or the program waits in the event loop. In the second case the flag
  // is still up and would interrupt the cancelling itself, so it is lowered first.
  function stop(run) {
    const waiting = queue.findIndex((m) => m.run === run);
    if (waiting >= 0) {
      queue.splice(waiting, 1);
      // The page raised the flag for a run that never started: no Python of it can take it.
      if (interruptArray) Atomics.store(interruptArray, 0, 0);
      post({ type: 'finished', run, result: stoppedRecord() });
      return;
    }
    if (run !== currentRun) return; // it ended already: its answer is on the way
    if (interruptArray) Atomics.store(interruptArray, 0, 0);
    // Children still starting: the program waits for them suspended, so it is told here.
    pool.abortStarting();
    try {
      runtime.stop();
    } catch (error) {
      post({ type: 'output', run: currentRun, stream: 'stderr', text: `Stop could not cancel the program's tasks: ${error.message ?? error}\n` });
    }
  }

  function refuse(message, problem) {
    const text = `the Python worker did not understand a message: ${problem}`;
    console.error(text, message);
    const run = message?.type === 'run' ? message.run : undefined;
    // A run the page waits for is ended by its own answer; anything else is reported.
    if (typeof run === 'number' && Number.isFinite(run)) post({ type: 'crashed', run, message: text });
    else post({ type: 'protocol-error', message: text });
  }

  /** A message from the page. Returns init's promise (for tests), else undefined. */
  function receive(message) {
    const problem = checkFromPage(message);
    if (problem) return refuse(message, problem);
    switch (message.type) {
      case 'init':
        if (phase !== 'waiting') return refuse(message, 'init arrived twice');
        return init(message);
      case 'run':
        if (phase === 'failed') refuseRun(message.run);
        else {
          queue.push(message);
          next();
        }
        return undefined;
      case 'stop':
        stop(message.run);
        return undefined;
      default:
        return refuse(message, `${message.type} is not handled`);
    }
  }

  return {
    receive,
    get phase() {
      return phase;
    },
  };
}

function mergeChunks(chunks) {
  const merged = [];
  for (const c of chunks) {
    const last = merged[merged.length - 1];
    if (last && last.stream === c.stream && last.run === c.run) last.text += c.text;
    else merged.push({ ...c });
  }
  return merged;
}
