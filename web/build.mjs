// Trunk's post-build hook (see Trunk.toml): puts the browser packages from web/node_modules
// into the build, under paths that name their version or content hash, and tells the app
// where they are through <meta> tags in index.html.
//   editor/editor-HASH.js     CodeMirror 6, bundled and minified by esbuild
//   python/worker-HASH.js     the Python lab's worker, with runtime.py inside
//   pyodide/VERSION/...       the four files of Pyodide that start CPython with its stdlib
//   bundle-ID-HASH.js/_bg.wasm one app bundle per page, and the loader in index.html that
//                             picks one (Trunk builds them; this names them by content)
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

const editor = await bundle('editor/editor.js', 'editor');
const worker = await bundle('python/worker.js', 'python', {
  loader: { '.py': 'text' },
  define: {
    __PYODIDE_LOCK_INFO__: JSON.stringify({ version: pyodidePackage.version, info: lock.info }),
  },
});

const pyodideTarget = path.join(staging, 'pyodide', pyodidePackage.version);
await fs.mkdir(pyodideTarget, { recursive: true });
const files = [];
for (const name of PYODIDE_FILES) {
  await fs.copyFile(path.join(pyodideDir, name), path.join(pyodideTarget, name));
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

// The app's wasm carries a name section (about 500 KB, function names for stack traces)
// that a release build does not need: cut it, and give index.html the file's new hash.
function withoutNameSection(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let i = 8;
  const leb = () => {
    let value = 0, shift = 0, byte;
    do {
      byte = bytes[i++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  while (i < bytes.length) {
    const start = i;
    const id = bytes[i++];
    const size = leb();
    const body = i;
    let drop = false;
    if (id === 0) {
      const nameLength = leb();
      drop = Buffer.from(bytes.subarray(i, i + nameLength)).toString() === 'name';
    }
    i = body + size;
    if (!drop) parts.push(bytes.subarray(start, i));
  }
  return Buffer.concat(parts);
}

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
  const match = /^bundle-([a-z-]+?)(?:-[0-9a-f]{16})?(\.js|_bg\.wasm)$/.exec(name);
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
  bundles[id === 'home' ? '' : id] = { js: `/${named}.js`, wasm: `/${named}_bg.wasm` };
}
if (!bundles['']) throw new Error('no bundle-home.js in the build: is index.html missing its bundle links?');
const loader = `<script type="module" id="playground-loader">
const bundles = ${JSON.stringify(bundles)};
const first = location.pathname.split('/')[1];
const bundle = bundles[first && Object.hasOwn(bundles, first) ? first : ''];
const wasm = fetch(bundle.wasm);
wasm.catch(() => {}); // reported by init below
try {
  const { default: init } = await import(bundle.js);
  await init({ module_or_path: wasm });
} catch (error) {
  const p = document.createElement('p');
  p.className = 'notice warn';
  p.dataset.testid = 'load-failed';
  p.textContent = \`The app failed to load (\${error && error.message ? error.message : error}). Reload the page to try again.\`;
  document.body.prepend(p);
}
</script>`;
{
  let page = await fs.readFile(htmlFile, 'utf8');
  page = page.replace(/<script type="module" id="playground-loader">[\s\S]*?<\/script>\s*/g, '');
  // Trunk leaves the main bundle's link behind when it injects no script.
  page = page.replace(/\s*<link data-trunk rel="rust"[^>]*>/g, '');
  page = page.replace('</body>', `  ${loader}\n</body>`);
  await fs.writeFile(htmlFile, page);
  console.log(`[web] bundles: ${Object.keys(bundles).map((k) => k || 'home').join(', ')}`);
}

// The service worker (release builds only, so that development never serves a stale
// cache): web/sw/sw.js with this build's shell list and version, at /sw.js, and the lines
// that register it. On a host without COOP/COEP the page reloads once, when the worker
// controls it and adds them; never inside a frame (the page around it decides there).
async function* shellFiles(dir, prefix = '') {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) {
      if (rel === 'snippets' || rel.startsWith('snippets/')) yield* shellFiles(path.join(dir, entry.name), `${rel}/`);
    } else if (!/\.(br|gz|map)$/.test(entry.name) && entry.name !== '_headers' && entry.name !== 'sw.js') {
      yield rel;
    }
  }
}

if (release) {
  const shell = [];
  const version = crypto.createHash('sha256');
  for await (const rel of shellFiles(staging)) {
    shell.push(`/${rel}`);
    version.update(rel).update(await fs.readFile(path.join(staging, rel)));
  }
  shell.sort();
  const source = (await fs.readFile(path.join(HERE, 'sw', 'sw.js'), 'utf8'))
    .replace('__VERSION__', JSON.stringify(version.digest('hex').slice(0, 16)))
    .replace('__SHELL__', JSON.stringify(shell));
  await fs.writeFile(path.join(staging, 'sw.js'), source);
  const register = `<script>
if ('serviceWorker' in navigator && self.isSecureContext) {
  navigator.serviceWorker.register('/sw.js').then(() => {
    if (self.crossOriginIsolated || window.top !== window.self || sessionStorage.getItem('playground-isolation-reload')) return;
    const reload = () => { sessionStorage.setItem('playground-isolation-reload', '1'); location.reload(); };
    if (navigator.serviceWorker.controller) reload();
    else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
  }, () => {});
}
</script>`;
  let page = await fs.readFile(htmlFile, 'utf8');
  page = page.replace(/<script>\nif \('serviceWorker'[\s\S]*?<\/script>\s*/g, '');
  page = page.replace('</head>', `  ${register}\n</head>`);
  await fs.writeFile(htmlFile, page);
  console.log(`[web] sw.js: ${shell.length} shell files`);
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
