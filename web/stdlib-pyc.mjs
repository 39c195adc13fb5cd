// CPython's standard library as Pyodide ships it (python_stdlib.zip) holds only sources,
// so every start compiles the modules it imports: about 1.5 s of a plain start here for
// asyncio, concurrent.futures, multiprocessing and the rest the lab's runtime imports.
// This adds bytecode (.pyc, unchecked-hash, so no source is read to validate it) for
// exactly those modules, compiled by the same Pyodide, beside their sources: zipimport
// prefers the .pyc, and tracebacks still read the .py. The rest of the library stays
// source only (all of it as bytecode would add 4.5 MB to the download).
//
// build.mjs calls precompiledStdlib(); the result is cached under node_modules/.cache by
// a hash of everything that goes into it, since loading Pyodide in Node takes seconds.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

// What a start imports, and what programs in the lab import at once.
const IMPORTS = [
  'playground_runtime', 'asyncio', 'concurrent.futures', 'concurrent.futures.process', 'threading', 'pickle',
  'queue', 'random', 'multiprocessing.pool', 'dataclasses', 'statistics', 'json', 're', 'collections',
  'functools', 'itertools', 'typing', 'contextlib', 'textwrap', 'string', 'datetime', 'heapq', 'bisect',
];

const COMPILE = `
import importlib, importlib.util, io, marshal, sys, zipfile
for name in IMPORTS:
    importlib.import_module(name)
stdlib = next(p for p in sys.path if p.endswith(".zip"))
prefix = stdlib + "/"
wanted = {}
for module in list(sys.modules.values()):
    file = getattr(module, "__file__", None) or ""
    if file.startswith(prefix) and file.endswith(".py"):
        wanted[file[len(prefix):]] = file
source = zipfile.ZipFile(stdlib)
out = io.BytesIO()
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for info in source.infolist():
        data = source.read(info)
        z.writestr(info, data)
        full = wanted.get(info.filename)
        if full is not None:
            # Compiled under the name the module has when imported, as a .pyc beside it.
            code = compile(data, full, "exec", dont_inherit=True)
            pyc = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(data) + marshal.dumps(code)
            z.writestr(zipfile.ZipInfo(info.filename + "c", date_time=info.date_time), pyc, zipfile.ZIP_DEFLATED)
result = (out.getvalue(), len(wanted))
result
`;

/**
 * python_stdlib.zip with bytecode for the modules a start imports. `sources` maps the
 * lab's module names (playground_runtime, ...) to their text. Returns { bytes, compiled }.
 */
export async function precompiledStdlib(pyodideDir, sources, cacheDir) {
  const original = await fs.readFile(path.join(pyodideDir, 'python_stdlib.zip'));
  const key = crypto.createHash('sha256');
  key.update(original).update(COMPILE).update(JSON.stringify(IMPORTS));
  for (const name of Object.keys(sources).sort()) key.update(name).update(sources[name]);
  const cached = path.join(cacheDir, `${key.digest('hex').slice(0, 24)}.zip`);
  try {
    const bytes = await fs.readFile(cached);
    return { bytes, compiled: null, cached: true };
  } catch {
    // not built yet
  }
  const { loadPyodide } = await import(path.join(pyodideDir, 'pyodide.mjs'));
  const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep });
  pyodide.FS.mkdirTree('/home/pyodide');
  for (const [name, text] of Object.entries(sources)) pyodide.FS.writeFile(`/home/pyodide/${name}.py`, text);
  pyodide.runPython('import sys; sys.path.insert(0, "/home/pyodide")');
  pyodide.globals.set('IMPORTS', pyodide.toPy(IMPORTS));
  const result = pyodide.runPython(COMPILE);
  const [zip, compiled] = result.toJs();
  result.destroy();
  const bytes = Buffer.from(zip);
  await fs.mkdir(cacheDir, { recursive: true });
  await fs.writeFile(cached, bytes);
  return { bytes, compiled, cached: false };
}
