// The lab worker's side of process pools: what pool.py's ProcessPoolExecutor calls
// (install(js) gets api()) to start child interpreters, give them tasks and wait for
// their answers. Each child is its own Pyodide in its own worker (pool-child.js): its own
// interpreter and GIL, nothing shared but pickled bytes, as with CPython's spawn.
//
// Why the odd plumbing: while the program waits for a result, this worker is blocked
// inside Python (Atomics.wait), and a blocked worker's Worker.postMessage to its children
// is not delivered, nor can a child start. So children are started while Python is
// suspended (run_sync, JSPI), tasks go down a MessagePort (delivered even while this side
// blocks), and answers come back in shared memory with a doorbell that Atomics.wait
// watches (pool-shared.js).
//
// A child that dies after it was ready (an error event, its port closing, or its own
// child-failed) becomes an answer: crashed, which pool.py turns into BrokenProcessPool
// for what it ran and for everything waiting, as CPython does when a worker process dies.
// Such events arrive only when this worker's event loop turns, not while Python waits
// blocked; a child that fails by itself writes its crash into shared memory for that case.

import { POOL_LIMIT, checker } from './protocol.js';
import { BUSY, IDLE, RESULT_MAX_BYTES, readAnswer, slotOf } from './pool-shared.js';

const checkFromChild = checker('childToParent');

/**
 * `spawnWorker(index)` starts a child worker (this same script); `assets()` is what it
 * loads Pyodide from ({indexURL, files}); `flushOutput()` sends the program's pending
 * output; `interrupt()` is the Stop flag (an Int32Array) or null; `onProtocolError(text)`
 * reports a message no one understood to the page.
 */
export function createPoolParent({
  stackSwitching,
  isolated,
  cpus = 1,
  limit = POOL_LIMIT,
  spawnWorker,
  assets,
  flushOutput = () => {},
  interrupt = () => null,
  onProtocolError = () => {},
  now = () => performance.now(),
  timeOrigin = performance.timeOrigin,
}) {
  let control = null;
  const children = [];
  // Answers that did not come through shared memory: children that died during the run.
  let early = [];
  let pendingEnsure = null;
  let onOne = false;
  let run = null;
  let running = false;

  const reason = !isolated
    ? 'This page is not cross-origin isolated, so the pool cannot wait for child interpreters: it runs its tasks one after another in this interpreter, with the same results.'
    : !stackSwitching
      ? 'This browser cannot suspend WebAssembly (JSPI), which starting child interpreters needs: the pool runs its tasks one after another in this interpreter, with the same results.'
      : null;

  const ring = () => {
    Atomics.add(control, 0, 1);
    Atomics.notify(control, 0);
  };

  const crashAnswer = (index, message) => ({
    child: index,
    ok: false,
    crashed: message,
    data: new Uint8Array(0),
    output: '',
    started: 0,
    ended: 0,
    unpickleMs: 0,
    pickleMs: 0,
  });

  const answerOf = (index, { header, data }) => ({
    child: index,
    ok: header.ok,
    crashed: header.crashed ?? '',
    data,
    output: header.output,
    // Child clocks start elsewhere; their absolute times come back to this one.
    started: header.started - timeOrigin,
    ended: header.ended - timeOrigin,
    unpickleMs: header.unpickleMs,
    pickleMs: header.pickleMs,
  });

  // A child is gone: before it was ready, ensure() reports it did not start; after, the
  // run's pool hears it as a crash (an answer it had already written is kept first).
  function gone(child, message) {
    if (!child.alive) return;
    child.alive = false;
    if (children[child.index] === child) children[child.index] = undefined;
    child.worker.terminate();
    if (!child.isReady) {
      child.rejectReady(new Error(message));
      return;
    }
    child.onLoaded?.({ error: `child interpreter ${child.index + 1} stopped: ${message}\n`, output: '' });
    if (!running || child.loadedRun !== run) return; // not this run's: replaced next time
    const answered = readAnswer(control, child.index, child.result);
    if (answered) early.push(answerOf(child.index, answered));
    Atomics.store(control, slotOf(child.index), IDLE);
    early.push(crashAnswer(child.index, message));
    ring();
  }

  function spawnChild(index) {
    if (!control) control = new Int32Array(new SharedArrayBuffer(4 * slotOf(limit)));
    const channel = new MessageChannel();
    const result = new SharedArrayBuffer(1 << 16, { maxByteLength: RESULT_MAX_BYTES });
    const worker = spawnWorker(index);
    const child = { index, worker, port: channel.port1, result, spawnedAt: now(), loadedRun: null, onLoaded: null, isReady: false, alive: true };
    child.ready = new Promise((resolve, reject) => {
      child.resolveReady = resolve;
      child.rejectReady = reject;
    });
    child.ready.catch(() => {}); // reported by ensure; a dead child is replaced next time
    worker.onmessage = (event) => {
      const m = event.data;
      const problem = checkFromChild(m);
      if (problem) {
        const text = `child interpreter ${index + 1} sent a message the worker does not understand: ${problem}`;
        console.error(text, m);
        onProtocolError(text);
        return;
      }
      if (m.type === 'child-ready') {
        child.isReady = true;
        child.resolveReady();
      } else if (m.type === 'child-failed') {
        gone(child, m.message);
      } else if (m.type === 'child-loaded') {
        child.onLoaded?.(m);
      } else if (m.type === 'protocol-error') {
        console.error(m.message);
        onProtocolError(m.message);
      }
    };
    worker.onerror = (event) => {
      // Handled here: left alone, it would reach the page as this worker's own failure.
      event.preventDefault?.();
      gone(child, event.message || (child.isReady ? 'the child worker stopped' : 'the child worker did not start'));
    };
    worker.onmessageerror = () => onProtocolError(`a message from child interpreter ${index + 1} could not be read`);
    // Where the browser has it: the child's end of the port went away with the child.
    channel.port1.onclose = () => gone(child, 'its port closed');
    Atomics.store(control, slotOf(index), IDLE);
    worker.postMessage(
      { type: 'child-init', ...assets(), control: control.buffer, slot: index, result, port: channel.port2 },
      [channel.port2],
    );
    children[index] = child;
    return child;
  }

  function loadProgram(child, source) {
    return new Promise((resolve) => {
      if (!child.alive) {
        resolve({ error: `child interpreter ${child.index + 1} stopped\n`, output: '' });
        return;
      }
      child.onLoaded = (m) => {
        child.onLoaded = null;
        resolve(m);
      };
      child.port.postMessage({ type: 'load', source });
    });
  }

  // Children 0..count-1 running, each with this run's program imported as __mp_main__.
  // Called from Python through run_sync, so this worker's event loop turns meanwhile.
  async function ensure(count, source) {
    const wanted = Math.min(count, limit);
    const asked = now();
    const thisRun = run;
    const stopped = new Promise((_, reject) => {
      pendingEnsure = reject;
    });
    try {
      const starting = [];
      for (let i = 0; i < wanted; i++) {
        const cold = !children[i];
        const child = children[i] ?? spawnChild(i);
        if (child.loadedRun === thisRun && !cold) continue;
        starting.push(
          (async () => {
            try {
              await child.ready;
            } catch (error) {
              if (children[i] === child) children[i] = undefined;
              child.alive = false;
              child.worker.terminate();
              return { child: i, asked, loaded: now(), cold, output: '', error: `child interpreter ${i + 1} did not start: ${error.message}\n` };
            }
            const reply = await loadProgram(child, source);
            child.loadedRun = thisRun;
            return { child: i, asked: cold ? child.spawnedAt : asked, loaded: now(), cold, output: reply.output, error: reply.error };
          })(),
        );
      }
      return await Promise.race([stopped, Promise.all(starting)]);
    } finally {
      pendingEnsure = null;
    }
  }

  function dispatch(index, bytes) {
    const child = children[index];
    if (!child || !child.alive) {
      // Died since pool.py last heard: the task is answered as its crash.
      early.push(crashAnswer(index, `child interpreter ${index + 1} is gone`));
      ring();
      return;
    }
    Atomics.store(control, slotOf(index), BUSY);
    // A copy, so that transferring it cannot detach memory Python still owns.
    const copy = bytes.slice();
    child.port.postMessage({ type: 'task', bytes: copy }, [copy.buffer]);
  }

  function collectAnswers() {
    const answers = early;
    early = [];
    for (const child of children) {
      if (!child) continue;
      const answered = readAnswer(control, child.index, child.result);
      if (answered) answers.push(answerOf(child.index, answered));
    }
    return answers;
  }

  // Blocks until a child answers (then returns the answers), the time runs out (an empty
  // list) or Stop is pressed (undefined, which Python sees as None, where null would be
  // jsnull; the flag is lowered, and pool.py raises KeyboardInterrupt itself). timeoutMs < 0
  // waits for as long as it takes.
  function wait(timeoutMs) {
    // The output timer cannot fire while this blocks, but a message to the page still goes.
    flushOutput();
    if (!control) return [];
    const deadline = timeoutMs < 0 ? Infinity : now() + timeoutMs;
    for (;;) {
      const rung = Atomics.load(control, 0);
      const answers = collectAnswers();
      if (answers.length > 0) return answers;
      const flag = interrupt();
      if (flag && Atomics.load(flag, 0) !== 0) {
        Atomics.store(flag, 0, 0);
        return undefined;
      }
      const left = deadline - now();
      if (left <= 0) return [];
      // In slices, so that Stop is seen within 50 ms.
      Atomics.wait(control, 0, rung, Math.min(left, 50));
    }
  }

  // The program ended while children still worked (Stop, an exception, or no shutdown):
  // those are killed, as the end of a CPython program ends its pool's processes; idle
  // ones stay warm for the next run.
  function stopBusy() {
    if (!control) return;
    for (const child of children) {
      if (!child) continue;
      if (Atomics.load(control, slotOf(child.index)) !== IDLE) {
        child.alive = false;
        child.worker.terminate();
        children[child.index] = undefined;
        Atomics.store(control, slotOf(child.index), IDLE);
      }
    }
  }

  return {
    /** The object pool.py's install() gets. */
    api() {
      return {
        get parallel() {
          return reason === null && !onOne;
        },
        get reason() {
          return onOne ? 'Run on one interpreter: the pool ran its tasks one after another in this interpreter, for comparison.' : reason;
        },
        cpus,
        limit,
        now,
        ensure,
        dispatch,
        wait,
        stop_busy: stopBusy,
      };
    },
    beginRun(id, { one = false } = {}) {
      run = id;
      onOne = one;
      running = true;
      early = [];
    },
    endRun() {
      running = false;
      early = [];
    },
    /** Stop while children start: the program waits for them suspended, so it is told here. */
    abortStarting() {
      pendingEnsure?.(new Error('stopped while the pool started'));
    },
  };
}
