// The Python lab's module worker: loads Pyodide (CPython on WebAssembly) from this site,
// runs programs with runtime.py and posts what happens to the page. It runs off the page's
// thread so that no program, however busy, freezes the page.
//
// Page -> worker: {type:"init", indexURL, files:[{name,size}], interrupt?: SharedArrayBuffer}
//                 {type:"run", run, code} | {type:"stop", run}
// Worker -> page: {type:"progress", loaded, total, file} | {type:"ready", python, interrupts, stackSwitching}
//                 {type:"load-failed", message} | {type:"output", run, stream, text}
//                 {type:"finished", run, result (runtime.py's JSON)} | {type:"crashed", run, message}

import RUNTIME_SOURCE from './runtime.py';

// Pyodide's own lock file names no packages we ship, but it must state the ABI.
const LOCK_INFO = __PYODIDE_LOCK_INFO__;
// The interpreter's big files are kept in Cache Storage under the version, so a second
// visit starts without downloading them, on any host.
const CACHE_NAME = `pyodide-${LOCK_INFO.version}`;

// JavaScript Promise Integration, which Pyodide needs to let asyncio.run() wait.
const STACK_SWITCHING = typeof WebAssembly.Suspending === 'function';
let runtime = null;
let interruptArray = null;
let currentRun = null;

const post = (message) => self.postMessage(message);

// stdout and stderr, batched so that a program printing in a tight loop sends a message
// every 40 ms rather than one per line; the timer flushes whatever is left when Python
// gives the thread back.
let pending = [];
let lastPost = 0;
let flushTimer = null;
function flushOutput() {
  flushTimer = null;
  if (pending.length === 0) return;
  for (const chunk of mergeChunks(pending)) post(chunk);
  pending = [];
  lastPost = performance.now();
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
function emit(stream, text) {
  pending.push({ type: 'output', run: currentRun, stream, text });
  if (performance.now() - lastPost > 40) flushOutput();
  else if (flushTimer === null) flushTimer = setTimeout(flushOutput, 40);
}

async function cachedFetch(originalFetch, url, progress) {
  let cache = null;
  try {
    cache = await caches.open(CACHE_NAME);
    const hit = await cache.match(url);
    if (hit) {
      progress(url, Number(hit.headers.get('x-playground-size') || 0), true);
      return hit;
    }
  } catch {
    cache = null; // no Cache Storage (e.g. an opaque origin): the HTTP cache still helps
  }
  const response = await originalFetch(url);
  if (!response.ok || !response.body) return response;
  let loaded = 0;
  const counting = response.body.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        progress(url, loaded, false);
        controller.enqueue(chunk);
      },
    }),
  );
  const bytes = await new Response(counting).arrayBuffer();
  const headers = new Headers(response.headers);
  headers.set('x-playground-size', String(bytes.byteLength));
  headers.delete('content-encoding');
  headers.delete('content-length');
  const keep = new Response(bytes, { status: 200, headers });
  if (cache) {
    try {
      await cache.put(url, keep.clone());
    } catch {
      // quota or private mode: run without the cache
    }
  }
  return keep;
}

async function forgetOldCaches() {
  try {
    for (const name of await caches.keys()) {
      if (name.startsWith('pyodide-') && name !== CACHE_NAME) await caches.delete(name);
    }
  } catch {
    // nothing to forget
  }
}

async function init({ indexURL, files, interrupt }) {
  const sizes = new Map(files.map((f) => [f.name, f.size]));
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const loadedBy = new Map();
  const report = (file) => {
    let loaded = 0;
    for (const v of loadedBy.values()) loaded += v;
    post({ type: 'progress', loaded: Math.min(loaded, total), total, file });
  };
  const progress = (url, loaded, whole) => {
    const name = url.split('/').pop();
    loadedBy.set(name, whole ? sizes.get(name) ?? loaded : loaded);
    report(name);
  };
  const originalFetch = self.fetch.bind(self);
  self.fetch = (input, options) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input?.url;
    // Pyodide passes options such as {credentials: "same-origin"}; any GET is fine.
    const get = !options || !options.method || options.method.toUpperCase() === 'GET';
    if (typeof url === 'string' && url.startsWith(indexURL) && get) {
      return cachedFetch(originalFetch, url, progress);
    }
    return originalFetch(input, options);
  };
  try {
    forgetOldCaches();
    const { loadPyodide } = await import(indexURL + 'pyodide.mjs');
    loadedBy.set('pyodide.mjs', sizes.get('pyodide.mjs') ?? 0);
    report('pyodide.asm.mjs');
    const pyodide = await loadPyodide({
      indexURL,
      lockFileContents: JSON.stringify({ info: LOCK_INFO.info, packages: {} }),
      checkAPIVersion: true,
    });
    loadedBy.set('pyodide.asm.mjs', sizes.get('pyodide.asm.mjs') ?? 0);
    report('python_stdlib.zip');
    let interrupts = false;
    if (interrupt) {
      interruptArray = new Int32Array(interrupt);
      pyodide.setInterruptBuffer(interruptArray);
      interrupts = true;
    }
    pyodide.FS.writeFile('/home/pyodide/playground_runtime.py', RUNTIME_SOURCE);
    pyodide.runPython('import sys; sys.path.insert(0, "/home/pyodide")');
    runtime = pyodide.pyimport('playground_runtime');
    post({
      type: 'ready',
      python: runtime.python_version(),
      interrupts,
      stackSwitching: STACK_SWITCHING,
    });
  } catch (error) {
    post({ type: 'load-failed', message: String(error && error.message ? error.message : error) });
  } finally {
    self.fetch = originalFetch;
  }
}

async function run({ run, code }) {
  currentRun = run;
  if (interruptArray) Atomics.store(interruptArray, 0, 0);
  try {
    // With stack switching (Chromium), the program runs as it is and asyncio.run() waits
    // by suspending WebAssembly; without it, runtime.py turns asyncio.run into an await.
    const result = STACK_SWITCHING ? await runtime.run.callPromising(code, emit) : await runtime.run_async(code, emit);
    flushOutput();
    post({ type: 'finished', run, result });
  } catch (error) {
    flushOutput();
    post({ type: 'crashed', run, message: String(error && error.message ? error.message : error) });
  } finally {
    currentRun = null;
  }
}

// Stop reaches here only when Python is not running: either it already took the
// KeyboardInterrupt, or the program waits in the event loop. In the second case the flag
// is still up and would interrupt the cancelling itself, so it is lowered first.
function stop() {
  if (interruptArray) Atomics.store(interruptArray, 0, 0);
  try {
    runtime.stop();
  } catch (error) {
    post({ type: 'output', run: currentRun, stream: 'stderr', text: `Stop could not cancel the program's tasks: ${error.message ?? error}\n` });
  }
}

self.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'init') init(message);
  else if (message.type === 'run' && runtime) run(message);
  else if (message.type === 'stop' && runtime && message.run === currentRun) stop();
};
