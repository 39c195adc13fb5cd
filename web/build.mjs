// Trunk's post-build hook (see Trunk.toml): puts the browser packages from web/node_modules
// into the build, under paths that name their version or content hash, and tells the app
// where they are through <meta> tags in index.html.
//   editor/editor-HASH.js     CodeMirror 6, bundled and minified by esbuild
//   python-worker/worker-HASH.js the Python lab's worker (python/worker.js and the modules
//                             it imports, runtime.py and the other .py files inside as
//                             text; the folder is not named like the /python route: a
//                             static host would answer that route with the folder)
//   pyodide/VERSION/...       the four files of Pyodide that start CPython with its stdlib
//                             (with bytecode for what a start imports: stdlib-pyc.mjs)
//   bundle-ID-HASH.js/_bg.wasm one app bundle per page, and the loader in index.html that
//                             picks one (Trunk builds them; this names them by content)
//   ID/index.html, 404.html   the same page for each lab's route and for any other
//                             address, so hosts without rewrite rules serve deep links
//   _headers                  the cross-origin isolation headers for Netlify-like hosts,
//                             from isolation-headers.json (also in sw.js, release builds)
// Every URL in the page is relative to the site's root, which the loader finds in the
// address: one build works at any path (README, Deploy).
// In release builds it also writes FILE.br and FILE.gz beside every file that compresses,
// for hosts that serve precompressed files (see README, Hosting).
// Apart from the bundle, nothing here is on a page's first load: the labs that need these
// files load them.
import { build, transform } from 'esbuild';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { withoutNameSection } from './wasm-sections.mjs';
import { precompiledStdlib } from './stdlib-pyc.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const staging = process.env.TRUNK_STAGING_DIR || process.argv[2];
if (!staging) {
  console.error('usage: TRUNK_STAGING_DIR=dir node web/build.mjs   (or: node web/build.mjs dir)');
  process.exit(2);
}
const release = process.env.TRUNK_PROFILE === 'release';
const htmlFile = process.env.TRUNK_HTML_FILE ? path.join(staging, path.basename(process.env.TRUNK_HTML_FILE)) : path.join(staging, 'index.html');

const pyodideDir = path.join(HERE, 'node_modules', 'pyodide');
const pyodidePackage = JSON.parse(await fs.readFile(path.join(pyodideDir, 'package.json'), 'utf8'));
const lock = JSON.parse(await fs.readFile(path.join(pyodideDir, 'pyodide-lock.json'), 'utf8'));
// The one list of the cross-origin isolation headers (COOP, COEP, CORP) that threads need:
// e2e/server.mjs reads it too, and web/tests checks Trunk.toml's [serve.headers] against it.
const ISOLATION_HEADERS = JSON.parse(await fs.readFile(path.join(HERE, 'isolation-headers.json'), 'utf8'));
export const PYODIDE_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip'];

async function bundle(entry, outdir, extra = {}) {
  const result = await build({
    entryPoints: [path.join(HERE, entry)],
    outdir: path.join(staging, outdir),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: release ? false : 'linked',
    metafile: true,
    logLevel: 'warning',
    ...extra,
  });
  const [output] = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
  return path.relative(staging, path.resolve(output)).split(path.sep).join('/');
}

// The standard library with bytecode for what a start imports (stdlib-pyc.mjs).
const labModules = Object.fromEntries(
  await Promise.all(
    [['playground_runtime', 'runtime.py'], ['playground_pool', 'pool.py'], ['playground_threads', 'threads.py']].map(
      async ([name, file]) => [name, await fs.readFile(path.join(HERE, 'python', file), 'utf8')],
    ),
  ),
);
const stdlib = await precompiledStdlib(pyodideDir, labModules, path.join(HERE, 'node_modules', '.cache', 'playground-stdlib'));

// A CPython snapshot (loader.js) fits one build of Pyodide, one standard library and one
// version of the lab's modules and of the loader that makes it: its key names all four.
async function snapshotKey() {
  const hash = (...parts) => {
    const h = crypto.createHash('sha256');
    for (const part of parts) h.update(part);
    return h.digest('hex').slice(0, 16);
  };
  const sources = await Promise.all(
    ['runtime.py', 'pool.py', 'threads.py', 'loader.js'].map((name) => fs.readFile(path.join(HERE, 'python', name))),
  );
  return `${pyodidePackage.version}-${hash(stdlib.bytes)}-${hash(...sources)}`;
}

const editor = await bundle('editor/editor.js', 'editor');
const worker = await bundle('python/worker.js', 'python-worker', {
  loader: { '.py': 'text' },
  define: {
    __PYODIDE_LOCK_INFO__: JSON.stringify({
      version: pyodidePackage.version,
      info: lock.info,
      stdlib: crypto.createHash('sha256').update(stdlib.bytes).digest('hex').slice(0, 16),
    }),
    __PYODIDE_SNAPSHOT_KEY__: JSON.stringify(await snapshotKey()),
  },
});

const pyodideTarget = path.join(staging, 'pyodide', pyodidePackage.version);
await fs.mkdir(pyodideTarget, { recursive: true });
const files = [];
for (const name of PYODIDE_FILES) {
  if (name === 'python_stdlib.zip') await fs.writeFile(path.join(pyodideTarget, name), stdlib.bytes);
  else await fs.copyFile(path.join(pyodideDir, name), path.join(pyodideTarget, name));
  files.push({ name, size: (await fs.stat(path.join(pyodideTarget, name))).size });
}

const meta = {
  editor,
  worker,
  pyodide: `pyodide/${pyodidePackage.version}/`,
  pyodideVersion: pyodidePackage.version,
  python: lock.info.python,
  files,
};
const tag = `<meta name="playground-assets" content='${JSON.stringify(meta)}' />`;
let html = await fs.readFile(htmlFile, 'utf8');
html = html.replace(/<meta name="playground-assets"[^>]*>\s*/g, '');
html = html.replace('</head>', `  ${tag}\n</head>`);
await fs.writeFile(htmlFile, html);
console.log(`[web] ${editor}, ${worker}, ${meta.pyodide} (${files.reduce((s, f) => s + f.size, 0)} bytes)`);

// Netlify and Cloudflare Pages send the headers a `_headers` file names.
await fs.writeFile(
  path.join(staging, '_headers'),
  `/*\n${Object.entries(ISOLATION_HEADERS).map(([name, value]) => `  ${name}: ${value}\n`).join('')}`,
);

// The app's wasm carries a name section (about 500 KB, function names for stack traces)
// that a release build does not need: cut it (wasm-sections.mjs), and give index.html the
// file's new hash.
if (release) {
  for (const name of await fs.readdir(staging)) {
    if (!name.endsWith('_bg.wasm')) continue;
    const file = path.join(staging, name);
    const before = await fs.readFile(file);
    const after = withoutNameSection(before);
    await fs.writeFile(file, after);
    console.log(`[web] ${name}: name section cut, ${before.length} -> ${after.length} bytes`);
  }
}

// The bundles (one per page; ARCHITECTURE.md, Bundles). Trunk builds them and starts none
// (Trunk.toml, inject_scripts); here each gets its content hash in its name, and index.html
// gets the loader that picks the bundle by the address's first segment: bundle-ID serves
// /ID, bundle-home everything else (the start page, and "Nothing here").
const bundles = {};
const built = {};
for (const name of (await fs.readdir(staging)).sort()) {
  // Trunk names the "main" one bundle-home-HASH, the "worker" ones without a hash.
  // Lab ids may hold hyphens (labs::tests), hence the lazy id before the optional hash.
  // The hash is a u64 in hex without leading zeros: 15 digits in one build of 16.
  const match = /^bundle-([a-z-]+?)(?:-[0-9a-f]{8,16})?(\.js|_bg\.wasm)$/.exec(name);
  if (match) (built[match[1]] ??= {})[match[2]] = name;
}
for (const [id, files] of Object.entries(built)) {
  if (!files['.js'] || !files['_bg.wasm']) throw new Error(`bundle-${id}: Trunk wrote ${JSON.stringify(files)}`);
  let js = await fs.readFile(path.join(staging, files['.js']));
  if (release) {
    // wasm-bindgen's glue, minified (exports keep their names: rayon's workers call them).
    js = Buffer.from((await transform(js.toString(), { minify: true, format: 'esm', target: 'es2022' })).code);
    await fs.writeFile(path.join(staging, files['.js']), js);
  }
  const wasm = await fs.readFile(path.join(staging, files['_bg.wasm']));
  const named = `bundle-${id}-${crypto.createHash('sha256').update(js).update(wasm).digest('hex').slice(0, 16)}`;
  await fs.rename(path.join(staging, files['.js']), path.join(staging, `${named}.js`));
  await fs.rename(path.join(staging, files['_bg.wasm']), path.join(staging, `${named}_bg.wasm`));
  bundles[id === 'home' ? '' : id] = { js: `${named}.js`, wasm: `${named}_bg.wasm` };
}
if (!bundles['']) throw new Error('no bundle-home.js in the build: is index.html missing its bundle links?');
// Which page, and where the site's root is, both come from the address: a lab's page is
// ROOT/ID (or ROOT/ID/, ROOT/ID/index.html), anything else ROOT/... Some addresses read two
// ways (a site served from /python/ has its start page at a lab's address), so the base
// script lists the readings, likeliest first, and the loader takes the first whose bundle
// loads. The first reading's root goes into <base> before any asset is named, so every
// relative URL in the page (styles, bundles, links, the service worker) resolves from it.
const labIds = Object.keys(bundles).filter((id) => id !== '');
const baseScript = (headLinks) => `<script id="playground-base">
(() => {
  const labs = ${JSON.stringify(labIds)};
  const segments = location.pathname.split('/');
  let last = segments.length - 1;
  if (segments[last] === '' || segments[last] === 'index.html') last -= 1;
  const readings = [];
  const add = (rootEnd, lab) => {
    const root = segments.slice(0, rootEnd).join('/') + '/';
    if (!readings.some((r) => r.root === root && r.lab === lab)) readings.push({ root, lab });
  };
  if (last >= 1 && labs.includes(segments[last])) add(last, segments[last]);
  else if (last >= 2 && labs.includes(segments[last - 1])) add(last - 1, '');
  for (let end = segments.length - 1; end >= 1; end--) add(end, '');
  self.playgroundReadings = readings;
  // The address as opened: the isolation reload goes back to it (run=1 and all), since by
  // then the lab has rewritten the address bar.
  self.playgroundOpened = location.href;
  document.querySelector('base').setAttribute('href', readings[0].root);
  // Written only now, so that no one (the preload scanner included) fetches them from the
  // address's folder instead of the site's root.
  document.write(${JSON.stringify(headLinks)});
})();
</script>`;
const loader = `<script type="module" id="playground-loader">
const bundles = ${JSON.stringify(bundles)};
let failure = null;
for (const [i, reading] of self.playgroundReadings.entries()) {
  if (i > 0) {
    // Another root: point <base> there and have the page's assets fetched again.
    document.querySelector('base').setAttribute('href', reading.root);
    for (const link of document.querySelectorAll('link[href]')) {
      const href = link.getAttribute('href');
      link.removeAttribute('href');
      link.setAttribute('href', href);
    }
  }
  const bundle = bundles[reading.lab];
  const wasm = fetch(new URL(bundle.wasm, document.baseURI));
  wasm.catch(() => {}); // reported by init below
  let init;
  try {
    init = (await import(new URL(bundle.js, document.baseURI).href)).default;
  } catch (error) {
    failure ??= error;
    continue; // not this reading: its root has no such bundle
  }
  try {
    await init({ module_or_path: wasm });
    failure = null;
    // Yew renders in microtasks: by the next task the page is drawn (bench-engines.mjs).
    setTimeout(() => performance.mark('playground-drawn'), 0);
    self.playgroundStarted?.();
  } catch (error) {
    failure = error;
  }
  break;
}
if (failure) {
  const p = document.createElement('p');
  p.className = 'notice warn';
  p.dataset.testid = 'load-failed';
  p.textContent = \`The app failed to load (\${failure && failure.message ? failure.message : failure}). Reload the page to try again.\`;
  document.body.prepend(p);
}
</script>`;
{
  let page = await fs.readFile(htmlFile, 'utf8');
  page = page.replace(/<script type="module" id="playground-loader">[\s\S]*?<\/script>\s*/g, '');
  page = page.replace(/<script id="playground-base">[\s\S]*?<\/script>\s*/g, '');
  // Trunk leaves the main bundle's link behind when it injects no script.
  page = page.replace(/\s*<link data-trunk rel="rust"[^>]*>/g, '');
  // Trunk names its files from the root (public_url "/", which its dev server needs):
  // relative here, resolved from the <base> the base script sets.
  page = page.replace(/(<base\b[^>]*\bhref=")[^"]*"/, '$1./"');
  page = page.replace(/(<(?:link|script|img)\b[^>]*\b(?:href|src)=")\/(?!\/)/g, '$1');
  if (!/<base\b[^>]*>/.test(page)) throw new Error('index.html has no <base>: the loader needs it');
  // The stylesheet, icon and manifest links move into the base script (see there).
  const linkTag = /\s*<link\b(?=[^>]*\brel="(?:stylesheet|icon|manifest)")[^>]*>/g;
  const headLinks = (page.match(linkTag) ?? []).map((tag) => tag.trim()).join('');
  page = page.replace(linkTag, '');
  page = page.replace(/(<base\b[^>]*>)/, `$1\n  ${baseScript(headLinks)}`);
  page = page.replace('</body>', `  ${loader}\n</body>`);
  await fs.writeFile(htmlFile, page);
  console.log(`[web] bundles: ${Object.keys(bundles).map((k) => k || 'home').join(', ')}`);
}

// wasm-bindgen-rayon 1.3.0's worker helper (no-bundler) starts each pool worker with
// wasm-bindgen's deprecated positional arguments, which logs a warning per worker: pass
// the one object instead. Fails loudly if a new version changed the line.
for (const name of await fs.readdir(path.join(staging, 'snippets')).catch(() => [])) {
  if (!name.startsWith('wasm-bindgen-rayon-')) continue;
  const file = path.join(staging, 'snippets', name, 'src', 'workerHelpers.no-bundler.js');
  const text = await fs.readFile(file, 'utf8');
  const old = 'await pkg.default(data.module, data.memory);';
  if (text.includes(old)) {
    await fs.writeFile(file, text.replace(old, 'await pkg.default({ module_or_path: data.module, memory: data.memory });'));
  } else if (!text.includes('module_or_path: data.module')) {
    throw new Error(`${file}: the worker start line changed; see build.mjs (wasm-bindgen-rayon)`);
  }
}

// The service worker (release builds only, so that development never serves a stale
// cache): web/sw/sw.js with this build's shell list and version, at ROOT/sw.js with the
// site's root as its scope, registered once the loader has found the root. On a host
// without COOP/COEP the page reloads once, when the worker controls it and adds them;
// never inside a frame (the page around it decides there).
async function* shellFiles(dir, prefix = '') {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) {
      if (rel === 'snippets' || rel.startsWith('snippets/')) yield* shellFiles(path.join(dir, entry.name), `${rel}/`);
    } else if (!/\.(br|gz|map)$/.test(entry.name) && !['_headers', 'sw.js', '404.html'].includes(entry.name)) {
      yield rel;
    }
  }
}

if (release) {
  const shell = [];
  const version = crypto.createHash('sha256');
  for await (const rel of shellFiles(staging)) {
    shell.push(rel);
    version.update(rel).update(await fs.readFile(path.join(staging, rel)));
  }
  shell.sort();
  let source = await fs.readFile(path.join(HERE, 'sw', 'sw.js'), 'utf8');
  for (const [name, value] of [
    ['__VERSION__', version.digest('hex').slice(0, 16)],
    ['__SHELL__', shell],
    ['__ISOLATION_HEADERS__', ISOLATION_HEADERS],
  ]) {
    if (!source.includes(name)) throw new Error(`web/sw/sw.js lacks ${name}`);
    source = source.replace(name, () => JSON.stringify(value));
  }
  await fs.writeFile(path.join(staging, 'sw.js'), source);
  const register = `<script id="playground-sw">
self.playgroundStarted = () => {
  if (!('serviceWorker' in navigator) || !self.isSecureContext) return;
  navigator.serviceWorker.register(new URL('sw.js', document.baseURI)).then(() => {
    if (self.crossOriginIsolated || window.top !== window.self || sessionStorage.getItem('playground-isolation-reload')) return;
    const reload = () => { sessionStorage.setItem('playground-isolation-reload', '1'); location.replace(self.playgroundOpened ?? location.href); };
    if (navigator.serviceWorker.controller) reload();
    else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
  }, () => {});
};
</script>`;
  let page = await fs.readFile(htmlFile, 'utf8');
  page = page.replace(/<script id="playground-sw">[\s\S]*?<\/script>\s*/g, '');
  page = page.replace('</head>', `  ${register}\n</head>`);
  await fs.writeFile(htmlFile, page);
  console.log(`[web] sw.js: ${shell.length} shell files`);
}

// Release pages: the inline scripts minified and the HTML comments gone. Every byte of the
// page is on every first visit, and /threads is close to the 250 KB budget.
if (release) {
  let page = await fs.readFile(htmlFile, 'utf8');
  const before = page.length;
  page = page.replace(/<!--[\s\S]*?-->/g, '').replace(/\n\s*\n/g, '\n');
  const scripts = [...page.matchAll(/(<script\b[^>]*>)([\s\S]*?)(<\/script>)/g)];
  for (const [whole, open, body, close] of scripts) {
    if (!body.trim()) continue;
    const format = /type="module"/.test(open) ? 'esm' : undefined;
    const { code } = await transform(body, { minify: true, format, target: 'es2022' });
    page = page.replace(whole, () => `${open}${code.trim()}${close}`);
  }
  await fs.writeFile(htmlFile, page);
  console.log(`[web] index.html: ${before} -> ${page.length} bytes`);
}

// Hosts without rewrite rules (GitHub Pages, python3 -m http.server) answer a deep link
// with a file or nothing: the same page for each lab's route, and 404.html for the rest
// (GitHub Pages, Netlify and Cloudflare Pages serve it for any missing file).
{
  const page = await fs.readFile(htmlFile);
  for (const id of labIds) {
    await fs.mkdir(path.join(staging, id), { recursive: true });
    await fs.writeFile(path.join(staging, id, 'index.html'), page);
  }
  await fs.writeFile(path.join(staging, '404.html'), page);
  console.log(`[web] route pages: ${labIds.map((id) => `${id}/index.html`).join(', ')}, 404.html`);
}

// Brotli at its best level takes 40 s on Pyodide's wasm, which never changes between
// builds: results are kept by content hash under target/, so each file is compressed once.
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.wasm', '.css', '.svg', '.json', '.webmanifest', '.zip', '.txt']);
const CACHE = path.join(HERE, '..', 'target', 'web-precompressed');

async function compressed(bytes, kind) {
  const key = crypto.createHash('sha256').update(bytes).digest('hex');
  const cached = path.join(CACHE, `${key}.${kind}`);
  try {
    return await fs.readFile(cached);
  } catch {
    const out = kind === 'br'
      ? zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
      : zlib.gzipSync(bytes, { level: 9 });
    await fs.mkdir(CACHE, { recursive: true });
    await fs.writeFile(cached, out);
    return out;
  }
}

async function* walk(dir) {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}

if (release) {
  let raw = 0, br = 0;
  for await (const file of walk(staging)) {
    if (!COMPRESSIBLE.has(path.extname(file))) continue;
    const bytes = await fs.readFile(file);
    for (const kind of ['br', 'gz']) {
      const out = await compressed(bytes, kind);
      // Not worth a second file when it saves under a tenth (the stdlib zip is deflated).
      if (out.length < bytes.length * 0.9) await fs.writeFile(`${file}.${kind}`, out);
      if (kind === 'br') {
        raw += bytes.length;
        br += Math.min(out.length, bytes.length);
      }
    }
  }
  console.log(`[web] precompressed: ${raw} bytes, ${br} with brotli`);
}
