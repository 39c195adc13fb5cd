// protocol.json and its checker (web/python/protocol.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL, DIRECTIONS, POOL_LIMIT, checker } from '../python/protocol.js';

test('protocol.json has the four directions, simple field kinds, and the pool limit', () => {
  assert.deepEqual(Object.keys(PROTOCOL).filter((k) => k !== 'constants').sort(), [...DIRECTIONS].sort());
  for (const direction of DIRECTIONS) {
    assert.ok(Object.keys(PROTOCOL[direction]).length > 0, direction);
    checker(direction); // throws on a kind it does not know
    for (const [type, fields] of Object.entries(PROTOCOL[direction])) {
      assert.match(type, /^[a-z]+(-[a-z]+)*$/, `${direction}.${type}: kebab-case, as the Rust side's serde names`);
      for (const name of Object.keys(fields)) assert.match(name, /^[a-zA-Z]+\??$/, `${direction}.${type}.${name}`);
    }
  }
  // The Rust side keeps up to 64 child lanes (MAX_CHILD_LANES in model.rs).
  assert.ok(Number.isInteger(POOL_LIMIT) && POOL_LIMIT >= 1 && POOL_LIMIT <= 64, String(POOL_LIMIT));
});

test('the messages of today fit', () => {
  const page = checker('pageToWorker');
  assert.equal(page({ type: 'init', indexURL: 'https://x/pyodide/', files: [{ name: 'a', size: 1 }] }), null);
  assert.equal(page({ type: 'init', indexURL: 'u', files: [], interrupt: new SharedArrayBuffer(4) }), null);
  assert.equal(page({ type: 'run', run: 3, code: 'print(1)' }), null);
  assert.equal(page({ type: 'run', run: 3, code: '', pool: 'one' }), null);
  assert.equal(page({ type: 'stop', run: 3 }), null);
  const toPage = checker('workerToPage');
  assert.equal(toPage({ type: 'ready', python: '3.14.0', interrupts: true, stackSwitching: false }), null);
  assert.equal(toPage({ type: 'output', run: 1, stream: 'stdout', text: 'x' }), null);
  assert.equal(toPage({ type: 'protocol-error', message: 'what' }), null);
  const toChild = checker('parentToChild');
  const { port1, port2 } = new MessageChannel();
  assert.equal(toChild({ type: 'child-init', indexURL: 'u', files: [], control: new SharedArrayBuffer(64), slot: 0, result: new SharedArrayBuffer(8), port: port2 }), null);
  assert.equal(toChild({ type: 'task', bytes: new Uint8Array(3) }), null);
  port1.close();
  assert.equal(checker('childToParent')({ type: 'child-ready' }), null);
});

test('what does not fit is named', () => {
  const page = checker('pageToWorker');
  assert.match(page({ type: 'nonsense' }), /unknown message type "nonsense"/);
  assert.match(page({ run: 1 }), /unknown message type undefined/);
  assert.match(page(null), /must be an object, not null/);
  assert.match(page('run'), /must be an object, not string/);
  assert.match(page([1]), /not an array/);
  assert.match(page({ type: 'run', run: 1 }), /run: the field code is missing/);
  assert.match(page({ type: 'run', run: '1', code: '' }), /run: the field run is not a number/);
  assert.match(page({ type: 'run', run: NaN, code: '' }), /not a number/);
  assert.match(page({ type: 'run', run: 1, code: '', pool: 1 }), /pool is not a string/);
  assert.match(page({ type: 'stop', run: 1, code: 'x' }), /stop: unknown field code/);
  assert.match(page({ type: 'init', indexURL: 'u', files: [], interrupt: new ArrayBuffer(4) }), /interrupt is not a SharedArrayBuffer/);
  assert.match(checker('parentToChild')({ type: 'task', bytes: [1, 2] }), /bytes is not a Uint8Array/);
  // An optional field may be left out or undefined, not null.
  assert.equal(page({ type: 'run', run: 1, code: '', pool: undefined }), null);
  assert.match(page({ type: 'run', run: 1, code: '', pool: null }), /pool is not a string/);
});

test('a spec with an unknown kind is refused when the checker is made', () => {
  assert.throws(() => checker('pageToWorker', { pageToWorker: { run: { run: 'bigint' } } }), /unknown kind bigint/);
  assert.throws(() => checker('sideways'), /no direction sideways/);
});
