// Trunk's post-build hook (see Trunk.toml): puts the browser packages from web/node_modules
// into the build, under paths that name their version or content hash, and tells the app
// where they are through <meta> tags in index.html.
//   editor/editor-HASH.js     CodeMirror 6, bundled and minified by esbuild
//   python/worker-HASH.js     the Python lab's worker, with runtime.py inside
//   pyodide/VERSION/...       the four files of Pyodide that start CPython with its stdlib
// Nothing here is imported by the app's first page: the labs that need these load them.
import { build } from 'esbuild';
import fs from 'node:fs/promises';
import path from 'node:path';
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
