// The clock that lets emulated threads be switched while busy (threads.py, _tick).
// JavaScript cannot run in the lab's worker while Python computes there, so the tick comes
// from another worker: while threads are alive it writes a signal number into Pyodide's
// interrupt buffer every millisecond, and CPython runs threads.py's handler at its next
// eval-breaker check. It writes only into an empty buffer, so a Stop (SIGINT) already
// there is never overwritten.
//
// control (Int32Array over a SharedArrayBuffer):
//   [0] the signal to raise, 0 while no thread is alive (the ticker sleeps on it)
//   [1] 1 once the ticker should end (tests; the page ends it with the lab's worker)
//   [2] always 0: the ticker waits on it for one period
//   [3] ticks written (for tests)

import { checker } from './protocol.js';

export const TICK_MS = 1;
const SIGNAL = 0;
const QUIT = 1;
const PERIOD = 2;
const TICKS = 3;

/** The ticker worker's loop; returns when told to quit. `wait` is Atomics.wait. */
export function tickerLoop(control, interrupt, wait = Atomics.wait) {
  for (;;) {
    wait(control, SIGNAL, 0);
    if (Atomics.load(control, QUIT)) return;
    wait(control, PERIOD, 0, TICK_MS);
    const signal = Atomics.load(control, SIGNAL);
    if (signal !== 0 && Atomics.compareExchange(interrupt, 0, 0, signal) === 0) Atomics.add(control, TICKS, 1);
  }
}

/** The ticker's role in worker.js: its first message gives it the two buffers. */
export function createTicker({ post }) {
  const check = checker('workerToTicker');
  return {
    receive(message) {
      const problem = check(message);
      if (problem) {
        post({ type: 'protocol-error', message: `the ticker did not understand a message: ${problem}` });
        return;
      }
      post({ type: 'ticker-ready' });
      tickerLoop(new Int32Array(message.control), new Int32Array(message.interrupt));
    },
  };
}

/** How long the lab worker waits for its ticker before it goes on without one. */
export const TICKER_START_MS = 5000;

/**
 * The lab worker's handle on its ticker: `start(signal)` and `stop()`, `ticks` for tests.
 * `spawnWorker()` makes the ticker worker; resolves once it waits (a worker started while
 * Python computes would not get going until Python gives the thread back), and rejects
 * if it has not within `TICKER_START_MS`: the lab then runs without one.
 */
export async function startTicker(interrupt, spawnWorker, { timeoutMs = TICKER_START_MS, setTimer = setTimeout, clearTimer = clearTimeout } = {}) {
  const control = new Int32Array(new SharedArrayBuffer(16));
  const worker = spawnWorker();
  let timer = null;
  try {
    await new Promise((resolve, reject) => {
      timer = setTimer(() => reject(new Error(`the ticker did not start within ${timeoutMs} ms`)), timeoutMs);
      worker.onmessage = (event) => (event.data?.type === 'ticker-ready' ? resolve() : reject(new Error(event.data?.message ?? 'the ticker failed')));
      worker.onerror = (event) => reject(new Error(event.message || 'the ticker worker failed to start'));
      worker.postMessage({ type: 'ticker-init', control: control.buffer, interrupt: interrupt.buffer });
    });
  } catch (error) {
    worker.terminate();
    throw error;
  } finally {
    clearTimer(timer);
  }
  const set = (signal) => {
    Atomics.store(control, SIGNAL, signal);
    Atomics.notify(control, SIGNAL);
  };
  return {
    start: (signal) => set(signal),
    stop: () => set(0),
    get ticks() {
      return Atomics.load(control, TICKS);
    },
  };
}
