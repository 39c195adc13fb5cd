// build.mjs's cut of the wasm name section (web/wasm-sections.mjs), on hand-built modules.
import test from 'node:test';
import assert from 'node:assert/strict';
import { sections, withoutNameSection } from '../wasm-sections.mjs';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function leb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}
const section = (id, body) => [id, ...leb(body.length), ...body];
const custom = (name, payload) => section(0, [...leb(name.length), ...Buffer.from(name), ...payload]);

// A module with one function `() -> i32` returning 42, a name section and a producers one.
const TYPE = section(1, [1, 0x60, 0, 1, 0x7f]);
const FUNC = section(3, [1, 0]);
const EXPORT = section(7, [1, 1, 0x66, 0x00, 0]); // "f", func 0
const CODE = section(10, [1, 4, 0, 0x41, 42, 0x0b]);
const NAME = custom('name', section(1, [1, 0, 6, ...Buffer.from('answer')]));
// Bigger than 127 bytes, so that its size takes two LEB128 bytes.
const PRODUCERS = custom('producers', new Array(200).fill(0x20));

test('sections are read in order, custom ones by name, multi-byte sizes too', () => {
  const bytes = Buffer.from([...HEADER, ...TYPE, ...FUNC, ...EXPORT, ...CODE, ...NAME, ...PRODUCERS]);
  const found = sections(bytes);
  assert.deepEqual(found.map((s) => [s.id, s.name]), [[1, null], [3, null], [7, null], [10, null], [0, 'name'], [0, 'producers']]);
  assert.equal(found.at(-1).end, bytes.length);
  assert.equal(found.at(-1).end - found.at(-1).start, PRODUCERS.length);
});

test('the name section goes; every other byte stays, and the module still runs', async () => {
  const bytes = Buffer.from([...HEADER, ...TYPE, ...FUNC, ...EXPORT, ...CODE, ...NAME, ...PRODUCERS]);
  const cut = withoutNameSection(bytes);
  assert.deepEqual([...cut], [...HEADER, ...TYPE, ...FUNC, ...EXPORT, ...CODE, ...PRODUCERS]);
  assert.ok(WebAssembly.validate(cut));
  const { instance } = await WebAssembly.instantiate(cut);
  assert.equal(instance.exports.f(), 42);
  // A module without one is left as it was.
  assert.deepEqual(withoutNameSection(cut), cut);
});

test('a custom section merely starting with "name" is kept', () => {
  const other = custom('names', [1, 2, 3]);
  const bytes = Buffer.from([...HEADER, ...other]);
  assert.deepEqual([...withoutNameSection(bytes)], [...bytes]);
});

test('what is not a module, or is cut short, is refused rather than mangled', () => {
  assert.throws(() => sections(Buffer.from('hello wasm')), /not a WebAssembly module/);
  const truncated = Buffer.from([...HEADER, ...CODE]).subarray(0, HEADER.length + 3);
  assert.throws(() => sections(truncated), /runs past the end/);
  assert.throws(() => sections(Buffer.from([...HEADER, 1, 0x80])), /runs past the end/);
});
