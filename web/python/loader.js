// Loading Pyodide (CPython on WebAssembly) from this site, for the lab's worker and for a
// process pool's children alike: its big files counted as they come and kept in Cache
// Storage, and the lab's Python modules written into its file system.
//
// A second start restores a memory snapshot of an interpreter that had already imported
// the lab's runtime (0.3 s instead of 2 s): made once in a throwaway worker
// (makeSnapshot), kept in the origin's private file system (OPFS) under a key of
// Pyodide's version and the hashes of its standard library and of the lab's modules, and
// checked by its SHA-256. A missing, stale or damaged snapshot means a plain start.

import RUNTIME_SOURCE from './runtime.py';
import POOL_SOURCE from './pool.py';
import THREADS_SOURCE from './threads.py';

// Pyodide's own lock file names no packages we ship, but it must state the ABI.
const LOCK_INFO = __PYODIDE_LOCK_INFO__;
// The interpreter's big files are kept in Cache Storage under the version and the build's
// standard library (stdlib-pyc.mjs adds to it), so a second visit starts without
// downloading them, on any host.
const CACHE_NAME = `pyodide-${LOCK_INFO.version}-${LOCK_INFO.stdlib}`;
// What Pyodide's loadPyodide fetches (its own module, pyodide.asm.mjs, is imported).
const EARLY_FILES = ['pyodide.asm.wasm', 'python_stdlib.zip'];

async function cachedFetch(originalFetch, url, progress) {
  let cache = null;
  try {
    cache = await caches.open(CACHE_NAME);
    const hit = await cache.match(url);
    if (hit) {
      progress(url, 0, true);
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
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  // Handed on as it arrives, so that WebAssembly compiles while it downloads, and stored
  // as it arrives: a failure to store (quota, private mode) only means the next visit
  // downloads again, and a broken download is not stored.
  if (cache === null) return new Response(counting, { status: 200, headers });
  const [forUse, forCache] = counting.tee();
  cache.put(url, new Response(forCache, { status: 200, headers })).catch(() => {});
  return new Response(forUse, { status: 200, headers });
}

/** Deletes the caches of other Pyodide versions (in the background; failures are harmless). */
export async function forgetOldCaches() {
  try {
    for (const name of await caches.keys()) {
      if (name.startsWith('pyodide-') && name !== CACHE_NAME) await caches.delete(name);
    }
  } catch {
    // nothing to forget
  }
}

// Build-time key: Pyodide's version, and hashes of python_stdlib.zip and the lab's modules
// (web/build.mjs). Pyodide itself refuses a snapshot of another build.
const SNAPSHOT_KEY = __PYODIDE_SNAPSHOT_KEY__;
const SNAPSHOT_DIR = 'pyodide-snapshots';
const SNAPSHOT_MAGIC = 1886286592; // Pyodide's, the snapshot's first 32 bits
const DIGEST_BYTES = 32;
// What the snapshot's interpreter has imported: the lab's runtime and what it builds on.
const SNAPSHOT_IMPORTS = 'import asyncio, concurrent.futures, threading, pickle, queue, random, playground_runtime';

const SNAPSHOT_READ_MS = 3000;
const delay = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

async function snapshotDir() {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(SNAPSHOT_DIR, { create: true });
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** The snapshot without its trailing digest if the whole is intact, else null. */
export async function checkSnapshot(stored) {
  if (stored.byteLength < 65536 + DIGEST_BYTES || stored.byteLength % 4) return null;
  const bytes = stored.subarray(0, stored.byteLength - DIGEST_BYTES);
  const header = new Uint32Array(bytes.buffer, bytes.byteOffset, 2);
  // The heap follows the header, in whole 64 KiB pages.
  if (header[0] !== SNAPSHOT_MAGIC || header[1] >= bytes.byteLength || (bytes.byteLength - header[1]) % 65536 !== 0) return null;
  const digest = await sha256(bytes);
  const kept = stored.subarray(bytes.byteLength);
  return digest.every((b, i) => b === kept[i]) ? bytes : null;
}

/** The file of this build's stored snapshot, or null (none, or no OPFS). Only its size and
 *  date are read here, so finding it is quick. */
async function findSnapshot() {
  try {
    // getFile(), not a sync access handle, which is exclusive: pool children read at once.
    return await (await (await snapshotDir()).getFileHandle(`${SNAPSHOT_KEY}.bin`)).getFile();
  } catch {
    return null;
  }
}

/** The snapshot in `file` without its digest; rejects, having deleted it, if it is damaged. */
async function snapshotBytes(file) {
  const bytes = await checkSnapshot(new Uint8Array(await file.arrayBuffer()));
  if (bytes === null) {
    console.warn('the stored CPython snapshot is damaged: starting plainly');
    await forgetSnapshot(await snapshotDir());
    throw new Error('the stored CPython snapshot is damaged');
  }
  return bytes;
}

async function forgetSnapshot(dir) {
  try {
    await dir.removeEntry(`${SNAPSHOT_KEY}.bin`);
  } catch {
    // gone already
  }
}

/** Stores a snapshot with its digest (a temporary file, then a rename, so that a reader
 *  never sees half of one) and deletes other builds' snapshots. */
export async function writeSnapshot(bytes) {
  const dir = await snapshotDir();
  const temporary = await dir.getFileHandle(`${SNAPSHOT_KEY}.tmp`, { create: true });
  const writable = await temporary.createWritable();
  await writable.write(bytes);
  await writable.write(await sha256(bytes));
  await writable.close();
  await temporary.move(`${SNAPSHOT_KEY}.bin`);
  for await (const name of dir.keys()) {
    if (!name.startsWith(SNAPSHOT_KEY)) await dir.removeEntry(name);
  }
}

function writeModules(pyodide) {
  // The file system is not in a snapshot: without the files, tracebacks, inspect and
  // linecache would find no source for the lab's modules.
  pyodide.FS.writeFile('/home/pyodide/playground_runtime.py', RUNTIME_SOURCE);
  pyodide.FS.writeFile('/home/pyodide/playground_pool.py', POOL_SOURCE);
  pyodide.FS.writeFile('/home/pyodide/playground_threads.py', THREADS_SOURCE);
}

/** Reads `file`'s snapshot within SNAPSHOT_READ_MS: its checked bytes, or a rejection. */
function readWithin(file) {
  const reading = Promise.race([
    snapshotBytes(file),
    delay(SNAPSHOT_READ_MS, null).then(() => {
      throw new Error(`the stored CPython snapshot was not read within ${SNAPSHOT_READ_MS} ms`);
    }),
  ]);
  reading.catch(() => {}); // reported by the start that waits for it, if one does
  return reading;
}

/**
 * The first steps of a start, which need only Pyodide's address: importing Pyodide's
 * module, and finding and reading the stored snapshot (unless `withSnapshot` is false).
 * `snapshot` resolves to null (none to restore) or to `{ bytes }`, a promise of its
 * checked bytes. A look that does not answer within 3 s (a lock a torn-down page's
 * snapshot worker left on the file, say) counts as none, so CPython still starts.
 */
function beginStart(indexURL, withSnapshot) {
  const module = import(indexURL + 'pyodide.mjs');
  module.catch(() => {}); // reported by loadInterpreter
  const snapshot = withSnapshot
    ? Promise.race([findSnapshot(), delay(SNAPSHOT_READ_MS, null)]).then((file) => (file === null ? null : { bytes: readWithin(file) }))
    : Promise.resolve(null);
  return { module, snapshot };
}

/**
 * Loads Pyodide with its big files counted and cached; `onProgress(loaded, total, file)`.
 * Resolves to `{ pyodide, start }`, start being 'snapshot' or 'plain'. `snapshot: false`
 * skips the stored snapshot; `makeSnapshot: true` loads the interpreter a snapshot is
 * taken from (see makeSnapshot).
 */
export async function loadInterpreter(indexURL, files, onProgress, { snapshot = true, makeSnapshot = false } = {}) {
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
  // Pyodide fetches through the global fetch: it is swapped for the counting, caching one
  // only while Pyodide loads. The two big files are asked for at once rather than when
  // Pyodide's module has loaded and asks: that saves a round trip or two on a first visit.
  const originalFetch = self.fetch.bind(self);
  const early = new Map(
    EARLY_FILES.map((name) => {
      const response = cachedFetch(originalFetch, indexURL + name, progress);
      response.catch(() => {}); // reported when Pyodide asks for it
      return [indexURL + name, response];
    }),
  );
  self.fetch = (input, options) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input?.url;
    // Pyodide passes options such as {credentials: "same-origin"}; any GET is fine.
    const get = !options || !options.method || options.method.toUpperCase() === 'GET';
    if (typeof url === 'string' && url.startsWith(indexURL) && get) {
      const asked = early.get(url);
      early.delete(url);
      return asked ?? cachedFetch(originalFetch, url, progress);
    }
    return originalFetch(input, options);
  };
  try {
    const begun = beginStart(indexURL, snapshot && !makeSnapshot);
    const { loadPyodide } = await begun.module;
    loadedBy.set('pyodide.mjs', sizes.get('pyodide.mjs') ?? 0);
    report('pyodide.asm.mjs');
    const options = {
      indexURL,
      lockFileContents: JSON.stringify({ info: LOCK_INFO.info, packages: {} }),
      checkAPIVersion: true,
    };
    const stored = await begun.snapshot;
    let pyodide = null;
    let start = 'plain';
    if (stored !== null) {
      try {
        // Pyodide takes the snapshot as a promise: it fetches and compiles its wasm while
        // the 30 MiB are read and checked. A damaged or unreadable one rejects, and the
        // start is plain.
        pyodide = await loadPyodide({ ...options, _loadSnapshot: stored.bytes });
        start = 'snapshot';
      } catch (error) {
        console.warn('the CPython snapshot did not load, starting plainly:', error);
        // Not awaited: a file system that does not answer must not hold up the start.
        snapshotDir().then(forgetSnapshot, () => {});
      }
    }
    if (pyodide === null) pyodide = await loadPyodide({ ...options, ...(makeSnapshot ? { _makeSnapshot: true } : {}) });
    loadedBy.set('pyodide.asm.mjs', sizes.get('pyodide.asm.mjs') ?? 0);
    report('python_stdlib.zip');
    writeModules(pyodide);
    if (start === 'snapshot') {
      // Pyodide would keep the 30 MiB it restored from; loadPyodide put '' on sys.path
      // again; and every restored interpreter would draw the same random numbers.
      delete pyodide._api?.config?._loadSnapshot;
      pyodide.runPython('import sys, random; sys.path[:] = list(dict.fromkeys(sys.path)); random.seed()');
    } else {
      pyodide.runPython('import sys; sys.path.insert(0, "/home/pyodide")');
    }
    return { pyodide, start };
  } finally {
    self.fetch = originalFetch;
    // A file Pyodide did not ask for (it failed first) is not downloaded for nothing.
    for (const response of early.values()) response.then((r) => r.body?.cancel()).catch(() => {});
  }
}

/**
 * Makes this build's snapshot and stores it: run in a throwaway worker, because the
 * interpreter a snapshot is taken from watches what Python reaches of JavaScript (and
 * some of that breaks), and before anything hands Python a JavaScript object that
 * globalThis does not hold (install()), which could not be stored. Resolves to its size.
 */
export async function makeSnapshot(indexURL, files) {
  const { pyodide } = await loadInterpreter(indexURL, files, () => {}, { makeSnapshot: true });
  pyodide.runPython(SNAPSHOT_IMPORTS);
  const bytes = pyodide.makeMemorySnapshot();
  await writeSnapshot(bytes);
  return bytes.byteLength;
}

/** Whether this page can keep a snapshot (OPFS with writable files). */
export function canKeepSnapshots() {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' &&
    typeof FileSystemFileHandle === 'function' && 'createWritable' in FileSystemFileHandle.prototype;
}
