// Loading Pyodide (CPython on WebAssembly) from this site, for the lab's worker and for a
// process pool's children alike: its big files counted as they come and kept in Cache
// Storage, and the lab's Python modules written into its file system.

import RUNTIME_SOURCE from './runtime.py';
import POOL_SOURCE from './pool.py';
import THREADS_SOURCE from './threads.py';

// Pyodide's own lock file names no packages we ship, but it must state the ABI.
const LOCK_INFO = __PYODIDE_LOCK_INFO__;
// The interpreter's big files are kept in Cache Storage under the version, so a second
// visit starts without downloading them, on any host.
const CACHE_NAME = `pyodide-${LOCK_INFO.version}`;

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

/** Loads Pyodide with its big files counted and cached; `onProgress(loaded, total, file)`. */
export async function loadInterpreter(indexURL, files, onProgress) {
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
  // only while Pyodide loads.
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
