// A process pool's child interpreter (pool.py's child side): its own Pyodide, started by
// the lab's worker (pool-parent.js) with a child-init message. It takes the run's program
// (load) and tasks (task) on a MessagePort and answers tasks in shared memory
// (pool-shared.js), which the parent reads while it waits blocked.
//
// Whatever goes wrong is answered: a task that fails outside Python comes back as a
// crash (the parent raises BrokenProcessPool), a message it does not understand is
// reported to the parent, and an error that escapes everything still answers the task in
// hand and tells the parent this child failed.

import { checker, errorText } from './protocol.js';
import { writeAnswer } from './pool-shared.js';

const checkFromParent = checker('parentToChild');

/**
 * `post` sends to the parent (the worker's postMessage); `load(indexURL, files)` resolves
 * to a Pyodide with the lab's modules; `scope` is the worker's global scope, whose error
 * events are this child's last word.
 */
export function createPoolChild({ post, load, scope = null, cpus = 1, clock = () => performance.timeOrigin + performance.now() }) {
  let started = false;
  let words = null;
  let index = -1;
  let result = null;
  let childPool = null;
  let busy = false;
  let failed = false;

  const protocolError = (message, problem) => {
    const text = `child interpreter ${index + 1} did not understand a message: ${problem}`;
    console.error(text, message);
    post({ type: 'protocol-error', message: text });
  };

  // The task in hand is answered as crashed, so that the parent, blocked until it hears,
  // does not wait for good; then the parent is told this child is gone.
  const fail = (message) => {
    if (failed) return;
    failed = true;
    if (busy && words) {
      busy = false;
      const t = clock();
      writeAnswer(words, index, result, { ok: false, crashed: message, output: '', unpickleMs: 0, pickleMs: 0, started: t, ended: t });
    }
    post({ type: 'child-failed', message });
  };

  if (scope) {
    scope.addEventListener('error', (event) => fail(`child interpreter ${index + 1} failed: ${event.message || 'an uncaught error'}`));
    // Nothing asynchronous runs under a task, so a rejection only matters if one is in hand.
    scope.addEventListener('unhandledrejection', (event) => {
      if (busy) fail(`child interpreter ${index + 1} failed: ${errorText(event.reason)}`);
    });
  }

  function runTask(bytes) {
    const started = clock();
    let header;
    let payload = new Uint8Array(0);
    try {
      const [ok, data, output, unpickleMs, pickleMs] = childPool.child_run(bytes);
      payload = data;
      header = { ok, output, unpickleMs, pickleMs };
    } catch (error) {
      header = { ok: false, crashed: errorText(error), output: '', unpickleMs: 0, pickleMs: 0 };
    }
    header.started = started;
    header.ended = clock();
    writeAnswer(words, index, result, header, payload);
    busy = false;
  }

  function fromParent(message) {
    const problem = checkFromParent(message);
    if (message?.type === 'task') {
      // A task is answered whatever it holds: the parent waits for the answer, not a message.
      busy = true;
      if (problem) {
        console.error(`child interpreter ${index + 1}: ${problem}`, message);
        busy = false;
        const t = clock();
        writeAnswer(words, index, result, { ok: false, crashed: `the task did not reach the child intact: ${problem}`, output: '', unpickleMs: 0, pickleMs: 0, started: t, ended: t });
        return;
      }
      runTask(message.bytes);
      return;
    }
    if (message?.type === 'load' && !problem) {
      const [error, output] = childPool.child_load(message.source);
      post({ type: 'child-loaded', error, output });
      return;
    }
    if (message?.type === 'load') {
      // The parent waits for this answer before it dispatches anything.
      post({ type: 'child-loaded', error: `the program did not reach the child intact: ${problem}\n`, output: '' });
      return;
    }
    protocolError(message, problem ?? `${message.type} belongs on the worker, not the port`);
  }

  async function init({ indexURL, files, control, slot, result: resultBuffer, port }) {
    words = new Int32Array(control);
    index = slot;
    result = resultBuffer;
    try {
      const pyodide = await load(indexURL, files);
      childPool = pyodide.pyimport('playground_pool');
      childPool.install({ parallel: false, reason: null, cpus, limit: 0 });
    } catch (error) {
      failed = true;
      post({ type: 'child-failed', message: errorText(error) });
      return;
    }
    port.onmessage = (event) => fromParent(event.data);
    port.onmessageerror = () => protocolError(null, 'a message from the parent could not be read');
    post({ type: 'child-ready' });
  }

  /** A message to the worker itself: child-init, once. */
  function receive(message) {
    const problem = checkFromParent(message);
    if (problem || message.type !== 'child-init' || started) {
      protocolError(message, problem ?? (started ? 'child-init arrived twice' : `${message.type} belongs on the port`));
      return;
    }
    started = true;
    return init(message);
  }

  return { receive, fail, get busy() { return busy; } };
}
