// Reading a WebAssembly binary's sections, for build.mjs: a release build drops the
// custom "name" section (function names for stack traces, about 500 KB of the app's wasm).

/** The module's sections in order: { id, name (custom sections only), start, end }. */
export function sections(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly module (no \\0asm header)');
  }
  const out = [];
  let i = 8;
  const leb = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      if (i >= bytes.length) throw new Error('a section runs past the end of the module');
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
    if (body + size > bytes.length) throw new Error(`section ${id} at byte ${start} runs past the end of the module`);
    let name = null;
    if (id === 0) {
      const nameLength = leb();
      name = Buffer.from(bytes.subarray(i, i + nameLength)).toString();
    }
    i = body + size;
    out.push({ id, name, start, end: i });
  }
  return out;
}

/** The module without its custom "name" section; every other byte as it was. */
export function withoutNameSection(bytes) {
  const parts = [bytes.subarray(0, 8)];
  for (const s of sections(bytes)) {
    if (!(s.id === 0 && s.name === 'name')) parts.push(bytes.subarray(s.start, s.end));
  }
  return Buffer.concat(parts);
}
