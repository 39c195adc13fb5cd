// The Python lab's module worker, which web/build.mjs bundles with esbuild into one file.
// The same script plays two roles, told apart by its first message:
//   child-init  a process pool's child interpreter (pool-child.js), started by the lab's
//               worker for pool.py;
//   ticker-init the clock that lets threads.py switch busy threads (ticker.js), started
//               by the lab's worker when the page has shared memory;
//   snapshot-make  a throwaway interpreter whose memory snapshot the next start restores
//               (loader.js), started by the lab's worker after a plain start;
//   anything    the lab's worker for the page (page-runner.js), which loads Pyodide and
//   else        runs programs, and is the parent of its pools' children (pool-parent.js).
// The messages of both are written down in protocol.json. Each role keeps its state to
// itself; all they share here are constants.

import { canKeepSnapshots, forgetOldCaches, loadInterpreter, makeSnapshot } from './loader.js';
import { checker, errorText } from './protocol.js';
import { createPageRunner } from './page-runner.js';
import { createPoolParent } from './pool-parent.js';
import { createPoolChild } from './pool-child.js';
import { createThreadsHost } from './threads-host.js';
import { createTicker, startTicker } from './ticker.js';

// JavaScript Promise Integration, which Pyodide needs to let asyncio.run() wait and which
// emulated threads and pools' children need. (The e2e test of browsers without JSPI
// switches it off by editing this expression in the bundle.)
const STACK_SWITCHING = typeof WebAssembly.Suspending === 'function';
const CPUS = navigator.hardwareConcurrency || 1;

function startPage() {
  return createPageRunner({
    post: (message) => self.postMessage(message),
    load: loadInterpreter,
    stackSwitching: STACK_SWITCHING,
    forgetOldCaches,
    makeSnapshot: canKeepSnapshots() ? makeSnapshotElsewhere : null,
    createThreadsHost: (ticker) => createThreadsHost(STACK_SWITCHING, ticker),
    startTicker: (interrupt) =>
      startTicker(interrupt, () => new Worker(self.location.href, { type: 'module', name: 'python-ticker' })),
    createPool: (options) =>
      createPoolParent({
        ...options,
        stackSwitching: STACK_SWITCHING,
        isolated: self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function',
        cpus: CPUS,
        spawnWorker: (index) => new Worker(self.location.href, { type: 'module', name: `python-child-${index + 1}` }),
      }),
  });
}

/** The page runner's makeSnapshot: in a worker of its own, ended once it has answered. */
function makeSnapshotElsewhere(indexURL, files) {
  const worker = new Worker(self.location.href, { type: 'module', name: 'python-snapshot' });
  const check = checker('snapshotMakerToWorker');
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      const problem = check(event.data);
      if (problem) reject(new Error(problem));
      else if (event.data.type === 'snapshot-made') resolve(event.data.bytes);
      else reject(new Error(event.data.message));
    };
    worker.onerror = (event) => reject(new Error(event.message || 'the snapshot worker failed'));
    worker.postMessage({ type: 'snapshot-make', indexURL, files });
  }).finally(() => worker.terminate());
}

function startSnapshotMaker() {
  const check = checker('workerToSnapshotMaker');
  return {
    async receive(message) {
      const problem = check(message);
      try {
        if (problem) throw new Error(`the snapshot worker did not understand a message: ${problem}`);
        self.postMessage({ type: 'snapshot-made', bytes: await makeSnapshot(message.indexURL, message.files) });
      } catch (error) {
        self.postMessage({ type: 'snapshot-failed', message: errorText(error) });
      }
    },
  };
}

function startChild() {
  return createPoolChild({
    post: (message) => self.postMessage(message),
    load: async (indexURL, files) => (await loadInterpreter(indexURL, files, () => {})).pyodide,
    scope: self,
    cpus: CPUS,
  });
}

self.onmessage = (event) => {
  const first = event.data;
  const role =
    first?.type === 'child-init'
      ? startChild()
      : first?.type === 'ticker-init'
        ? createTicker({ post: (message) => self.postMessage(message) })
        : first?.type === 'snapshot-make'
          ? startSnapshotMaker()
          : startPage();
  self.onmessage = (next) => role.receive(next.data);
  role.receive(first);
};

self.onmessageerror = (event) => {
  const text = `the Python worker could not read a message: ${errorText(event.data)}`;
  console.error(text);
  self.postMessage({ type: 'protocol-error', message: text });
};
