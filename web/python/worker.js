// The Python lab's module worker: loads Pyodide (CPython on WebAssembly) from this site,
// runs programs with runtime.py and posts what happens to the page. It runs off the page's
// thread so that no program, however busy, freezes the page.
//
// Page -> worker: {type:"init", indexURL, files:[{name,size}], interrupt?: SharedArrayBuffer}
//                 {type:"run", run, code, pool?: "one"} | {type:"stop", run}
// Worker -> page: {type:"progress", loaded, total, file} | {type:"ready", python, interrupts, stackSwitching}
//                 {type:"load-failed", message} | {type:"output", run, stream, text}
//                 {type:"finished", run, result (runtime.py's JSON)} | {type:"crashed", run, message}
//
// The same script is also a process pool's child interpreter (pool.py): the lab's worker
// starts it with {type:"child-init", ...} and then talks to it through a MessagePort and
// shared memory (see "Process pools" below).

import RUNTIME_SOURCE from './runtime.py';
import POOL_SOURCE from './pool.py';
import THREADS_SOURCE from './threads.py';

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

// For threads.py: an emulated thread's own stack (callPromising, so that it can be
// suspended), and the timer its sleeps and time slices wait on. A thread starts in a
// microtask and a zero-length wait is a message, not setTimeout(0): the browser makes
// nested timeouts wait 4 ms, which would make starting a thread slower than a 1 ms sleep.
self.playgroundSpawn = (fn) => {
  queueMicrotask(() => {
    fn.callPromising()
      .catch((error) => console.error('emulated thread failed', error))
      .finally(() => fn.destroy());
  });
};
const immediate = new MessageChannel();
const immediateQueue = [];
immediate.port1.onmessage = () => immediateQueue.shift()?.();
// What threads.py checks before it emulates a thread (the e2e test of browsers without
// JSPI switches this off by editing STACK_SWITCHING).
self.playgroundStackSwitching = STACK_SWITCHING;
self.playgroundRace = (ms, other) => Promise.race([self.playgroundTimer(ms), other]);
self.playgroundTimer = (ms) =>
  new Promise((resolve) => {
    if (ms > 0) {
      setTimeout(resolve, ms);
    } else {
      immediateQueue.push(resolve);
      immediate.port2.postMessage(0);
    }
  });

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

// Loads Pyodide with its big files counted and cached; `onProgress(loaded, total, file)`.
async function loadInterpreter(indexURL, files, onProgress) {
  const sizes = new Map(files.map((f) => [f.name, f.size]));
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const loadedBy = new Map();
  const report = (file) => {
    let loaded = 0;
    for (const v of loadedBy.values()) loaded += v;
    onProgress(Math.min(loaded, total), total, file);
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
    pyodide.FS.writeFile('/home/pyodide/playground_runtime.py', RUNTIME_SOURCE);
    pyodide.FS.writeFile('/home/pyodide/playground_pool.py', POOL_SOURCE);
    pyodide.FS.writeFile('/home/pyodide/playground_threads.py', THREADS_SOURCE);
    pyodide.runPython('import sys; sys.path.insert(0, "/home/pyodide")');
    return pyodide;
  } finally {
    self.fetch = originalFetch;
  }
}

let assetsForChildren = null;

async function init({ indexURL, files, interrupt }) {
  try {
    forgetOldCaches();
    assetsForChildren = { indexURL, files };
    const pyodide = await loadInterpreter(indexURL, files, (loaded, total, file) => post({ type: 'progress', loaded, total, file }));
    let interrupts = false;
    if (interrupt) {
      interruptArray = new Int32Array(interrupt);
      pyodide.setInterruptBuffer(interruptArray);
      interrupts = true;
    }
    runtime = pyodide.pyimport('playground_runtime');
    pyodide.pyimport('playground_pool').install(poolApi());
    pyodide.pyimport('playground_threads').install(self);
    post({
      type: 'ready',
      python: runtime.python_version(),
      interrupts,
      stackSwitching: STACK_SWITCHING,
    });
  } catch (error) {
    post({ type: 'load-failed', message: String(error && error.message ? error.message : error) });
  }
}

async function run({ run, code, pool }) {
  currentRun = run;
  poolOnOne = pool === 'one';
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
  // Children still starting: the program waits for them suspended, so it is told here.
  if (pendingEnsure) pendingEnsure(new Error('stopped while the pool started'));
  try {
    runtime.stop();
  } catch (error) {
    post({ type: 'output', run: currentRun, stream: 'stderr', text: `Stop could not cancel the program's tasks: ${error.message ?? error}\n` });
  }
}

self.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'child-init') childInit(message);
  else if (message.type === 'init') init(message);
  else if (message.type === 'run' && runtime) run(message);
  else if (message.type === 'stop' && runtime && message.run === currentRun) stop();
};

// ---- Process pools ---------------------------------------------------------------
// pool.py's ProcessPoolExecutor runs tasks on child workers, each with its own Pyodide:
// its own interpreter and GIL, nothing shared but pickled bytes, as with CPython's spawn.
//
// Why the odd plumbing: while the program waits for a result, this worker is blocked
// inside Python (Atomics.wait), and a blocked worker's Worker.postMessage to its children
// is not delivered, nor can a child start. So children are started while Python is
// suspended (run_sync, JSPI), tasks go down a MessagePort (delivered even while this side
// blocks), and answers come back in shared memory with a doorbell that Atomics.wait
// watches.

// Each child is a whole CPython (tens of MB); more than this and the tab suffers.
const POOL_LIMIT = 8;
const RESULT_MAX_BYTES = 256 * 1024 * 1024;
// Control words: [0] the doorbell, counting answers; for child c, at 4 + 4c:
// [state (0 idle, 1 busy, 2 answered), header bytes, payload bytes].
const IDLE = 0;
const BUSY = 1;
const ANSWERED = 2;
const slotOf = (index) => 4 + 4 * index;
let control = null;
const children = [];
let pendingEnsure = null;
let poolOnOne = false;

function poolApi() {
  const isolated = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const reason = !isolated
    ? 'This page is not cross-origin isolated, so the pool cannot wait for child interpreters: it runs its tasks one after another in this interpreter, with the same results.'
    : !STACK_SWITCHING
      ? 'This browser cannot suspend WebAssembly (JSPI), which starting child interpreters needs: the pool runs its tasks one after another in this interpreter, with the same results.'
      : null;
  return {
    get parallel() {
      return reason === null && !poolOnOne;
    },
    get reason() {
      return poolOnOne ? 'Run on one interpreter: the pool ran its tasks one after another in this interpreter, for comparison.' : reason;
    },
    cpus: navigator.hardwareConcurrency || 1,
    limit: POOL_LIMIT,
    now: () => performance.now(),
    ensure,
    dispatch,
    wait,
    stop_busy: stopBusy,
  };
}

function spawnChild(index) {
  if (!control) control = new Int32Array(new SharedArrayBuffer(4 * slotOf(POOL_LIMIT)));
  const channel = new MessageChannel();
  const result = new SharedArrayBuffer(1 << 16, { maxByteLength: RESULT_MAX_BYTES });
  const worker = new Worker(self.location.href, { type: 'module', name: `python-child-${index + 1}` });
  const child = { index, worker, port: channel.port1, result, spawnedAt: performance.now(), loadedRun: null, onLoaded: null };
  child.ready = new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      const m = event.data;
      if (m.type === 'child-ready') resolve();
      else if (m.type === 'child-failed') reject(new Error(m.message));
      else if (m.type === 'child-loaded' && child.onLoaded) child.onLoaded(m);
    };
    worker.onerror = (event) => reject(new Error(event.message || 'the child worker did not start'));
  });
  child.ready.catch(() => {}); // reported by ensure; a dead child is replaced next time
  Atomics.store(control, slotOf(index), IDLE);
  worker.postMessage(
    { type: 'child-init', ...assetsForChildren, control: control.buffer, slot: index, result, port: channel.port2 },
    [channel.port2],
  );
  children[index] = child;
  return child;
}

function loadProgram(child, source) {
  return new Promise((resolve) => {
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
  const wanted = Math.min(count, POOL_LIMIT);
  const asked = performance.now();
  const run = currentRun;
  const stopped = new Promise((_, reject) => {
    pendingEnsure = reject;
  });
  try {
    const starting = [];
    for (let i = 0; i < wanted; i++) {
      const cold = !children[i];
      const child = children[i] ?? spawnChild(i);
      if (child.loadedRun === run && !cold) continue;
      starting.push(
        (async () => {
          try {
            await child.ready;
          } catch (error) {
            children[i] = undefined;
            child.worker.terminate();
            return { child: i, asked, loaded: performance.now(), cold, output: '', error: `child interpreter ${i + 1} did not start: ${error.message}\n` };
          }
          const reply = await loadProgram(child, source);
          child.loadedRun = run;
          return { child: i, asked: cold ? child.spawnedAt : asked, loaded: performance.now(), cold, output: reply.output, error: reply.error };
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
  Atomics.store(control, slotOf(index), BUSY);
  // A copy, so that transferring it cannot detach memory Python still owns.
  const copy = bytes.slice();
  child.port.postMessage({ type: 'task', bytes: copy }, [copy.buffer]);
}

function collectAnswers() {
  const answers = [];
  for (const child of children) {
    if (!child) continue;
    const slot = slotOf(child.index);
    if (Atomics.load(control, slot) !== ANSWERED) continue;
    const headerBytes = control[slot + 1];
    const payloadBytes = control[slot + 2];
    const all = new Uint8Array(child.result, 0, headerBytes + payloadBytes).slice();
    const header = JSON.parse(new TextDecoder().decode(all.subarray(0, headerBytes)));
    Atomics.store(control, slot, IDLE);
    answers.push({
      child: child.index,
      ok: header.ok,
      crashed: header.crashed ?? '',
      data: all.subarray(headerBytes),
      output: header.output,
      // Child clocks start elsewhere; their absolute times come back to this one.
      started: header.started - performance.timeOrigin,
      ended: header.ended - performance.timeOrigin,
      unpickleMs: header.unpickleMs,
      pickleMs: header.pickleMs,
    });
  }
  return answers;
}

// Blocks until a child answers (then returns the answers), the time runs out (an empty
// list) or Stop is pressed (undefined, which Python sees as None, where null would be
// jsnull; the flag is lowered, and pool.py raises KeyboardInterrupt itself). timeoutMs < 0 waits for as long as it takes.
function wait(timeoutMs) {
  // The output timer cannot fire while this blocks, but a message to the page still goes.
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushOutput();
  const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
  for (;;) {
    const rung = Atomics.load(control, 0);
    const answers = collectAnswers();
    if (answers.length > 0) return answers;
    if (interruptArray && Atomics.load(interruptArray, 0) !== 0) {
      Atomics.store(interruptArray, 0, 0);
      return undefined;
    }
    const left = deadline - performance.now();
    if (left <= 0) return [];
    // In slices, so that Stop is seen within 50 ms.
    Atomics.wait(control, 0, rung, Math.min(left, 50));
  }
}

// The program ended while children still worked (Stop, an exception, or no shutdown):
// those are killed, as the end of a CPython program ends its pool's processes; idle
// ones stay warm for the next run.
function stopBusy() {
  for (const child of children) {
    if (!child) continue;
    if (Atomics.load(control, slotOf(child.index)) !== IDLE) {
      child.worker.terminate();
      children[child.index] = undefined;
      Atomics.store(control, slotOf(child.index), IDLE);
    }
  }
}

// ---- A child interpreter ----------------------------------------------------------

async function childInit({ indexURL, files, control: controlBuffer, slot: index, result, port }) {
  const words = new Int32Array(controlBuffer);
  const slot = slotOf(index);
  let childPool;
  try {
    const pyodide = await loadInterpreter(indexURL, files, () => {});
    childPool = pyodide.pyimport('playground_pool');
    childPool.install({ parallel: false, reason: null, cpus: navigator.hardwareConcurrency || 1, limit: 0 });
  } catch (error) {
    self.postMessage({ type: 'child-failed', message: String(error && error.message ? error.message : error) });
    return;
  }
  const now = () => performance.timeOrigin + performance.now();
  const encoder = new TextEncoder();
  port.onmessage = (event) => {
    const m = event.data;
    if (m.type === 'load') {
      const [error, output] = childPool.child_load(m.source);
      self.postMessage({ type: 'child-loaded', error, output });
      return;
    }
    if (m.type !== 'task') return;
    const started = now();
    let header;
    let payload = new Uint8Array(0);
    try {
      const [ok, data, output, unpickleMs, pickleMs] = childPool.child_run(m.bytes);
      payload = data;
      header = { ok, output, unpickleMs, pickleMs };
    } catch (error) {
      header = { ok: false, crashed: String(error && error.message ? error.message : error), output: '', unpickleMs: 0, pickleMs: 0 };
    }
    header.started = started;
    header.ended = now();
    let headerBytes = encoder.encode(JSON.stringify(header));
    const need = headerBytes.byteLength + payload.byteLength;
    if (need > result.byteLength) {
      if (need <= RESULT_MAX_BYTES) {
        result.grow(need);
      } else {
        header = { ...header, ok: false, crashed: `the result took ${need} bytes pickled, more than the ${RESULT_MAX_BYTES} a child can send back`, output: '' };
        headerBytes = encoder.encode(JSON.stringify(header));
        payload = new Uint8Array(0);
      }
    }
    const view = new Uint8Array(result);
    view.set(headerBytes, 0);
    view.set(payload, headerBytes.byteLength);
    words[slot + 1] = headerBytes.byteLength;
    words[slot + 2] = payload.byteLength;
    Atomics.store(words, slot, ANSWERED);
    Atomics.add(words, 0, 1);
    Atomics.notify(words, 0);
  };
  self.postMessage({ type: 'child-ready' });
}
