// The service worker (release builds register it): the app opens offline after one visit,
// and on hosts that cannot send COOP/COEP (GitHub Pages and the like) it adds them to the
// app's own responses, so the page can become cross-origin isolated and have threads.
//
// The shell (the files index.html names) is cached at install under this build's version;
// activation deletes every other version's cache, so a deploy never mixes old and new
// files. Everything else the site serves (a lab's editor, Pyodide's scripts) is cached the
// first time it is fetched. Pyodide's two big files are left to the Python lab's worker,
// which keeps them in its own cache; lookups search every cache, so they are found offline.

const VERSION = __VERSION__;
// Paths relative to the site's root, which is this worker's scope: the same build serves
// from / or from /course/playground/.
const SHELL = __SHELL__;
const ROOT = self.registration.scope;
const SHELL_CACHE = `shell-${VERSION}`;
const RUNTIME_CACHE = `runtime-${VERSION}`;
const WORKER_CACHED = /\/pyodide\/[^/]+\/(pyodide\.asm\.wasm|python_stdlib\.zip)$/;
// From web/isolation-headers.json.
const ISOLATION = __ISOLATION_HEADERS__;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll(SHELL.map((path) => new Request(new URL(path, ROOT), { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if ((name.startsWith('shell-') || name.startsWith('runtime-')) && name !== SHELL_CACHE && name !== RUNTIME_CACHE) {
          await caches.delete(name);
        }
      }
    })(),
  );
  // Claimed, but not waited for: Firefox settles a claim only when every client has
  // answered, and the Python lab's ticker worker waits in Atomics.wait and never does.
  // Until the activation ends, every navigation in scope waits for it (the next page
  // hung for more than 15 s after a first visit to the Python lab).
  self.clients.claim();
});

/** The response with the isolation headers added (the body is streamed, not copied). */
function isolated(response) {
  if (!response || response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(ISOLATION)) headers.set(k, v);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function fromNetworkThenCache(request) {
  try {
    const response = await fetch(request);
    return response;
  } catch (error) {
    // Offline: every route's page is the same file as the root's.
    const hit = await caches.match(new URL('index.html', ROOT).href, { cacheName: SHELL_CACHE });
    if (hit) return hit;
    throw error;
  }
}

async function fromCacheThenNetwork(request, url) {
  const hit = await caches.match(request, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic' && !WORKER_CACHED.test(url.pathname)) {
    const cache = await caches.open(RUNTIME_CACHE);
    cache.put(request, response.clone()).catch(() => {});
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === self.location.pathname) return;
  // Pages: the network first (a deploy shows at once), the cached shell when offline.
  // Everything else: the cache first (file names carry their content hash or version).
  const answer = request.mode === 'navigate' ? fromNetworkThenCache(request) : fromCacheThenNetwork(request, url);
  event.respondWith(answer.then(isolated));
});
