// The Python lab's module worker, which web/build.mjs bundles with esbuild into one file.
// The same script plays two roles, told apart by its first message:
//   child-init  a process pool's child interpreter (pool-child.js), started by the lab's
//               worker for pool.py;
//   ticker-init the clock that lets threads.py switch busy threads (ticker.js), started
//               by the lab's worker when the page has shared memory;
//   anything    the lab's worker for the page (page-runner.js), which loads Pyodide and
//   else        runs programs, and is the parent of its pools' children (pool-parent.js).
// The messages of both are written down in protocol.json. Each role keeps its state to
// itself; all they share here are constants.

import { forgetOldCaches, loadInterpreter } from './loader.js';
import { errorText } from './protocol.js';
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

function startChild() {
  return createPoolChild({
    post: (message) => self.postMessage(message),
    load: (indexURL, files) => loadInterpreter(indexURL, files, () => {}),
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
        : startPage();
  self.onmessage = (next) => role.receive(next.data);
  role.receive(first);
};

self.onmessageerror = (event) => {
  const text = `the Python worker could not read a message: ${errorText(event.data)}`;
  console.error(text);
  self.postMessage({ type: 'protocol-error', message: text });
};
