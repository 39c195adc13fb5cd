// A pool's child (web/python/pool-child.js) with a fake Pyodide: every task is answered in
// shared memory, even one that fails outside Python; what it does not understand goes back
// to the parent as protocol-error; an uncaught error answers the task in hand.
import test from 'node:test';
import assert from 'node:assert/strict';
import { checker } from '../python/protocol.js';
import { createPoolChild } from '../python/pool-child.js';
import { ANSWERED, BUSY, IDLE, slotOf, readAnswer } from '../python/pool-shared.js';

const toParent = checker('childToParent');
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup({ loadFails = false, childRun } = {}) {
  const posted = [];
  const errors = [];
  const scope = new EventTarget();
  const installed = [];
  const childPool = {
    install: (api) => installed.push(api),
    child_load: (source) => (source.includes('raise') ? ['Traceback ...\nValueError\n', 'partial\n'] : ['', `loaded ${source.length}\n`]),
    child_run: childRun ?? ((bytes) => [true, new Uint8Array([...bytes].reverse()), 'out\n', 0.5, 0.25]),
  };
  const child = createPoolChild({
    post: (m) => {
      assert.equal(toParent(m), null, `posted ${JSON.stringify(m)}`);
      posted.push(m);
    },
    load: async () => {
      if (loadFails) throw new Error('no wasm');
      return { pyimport: () => childPool };
    },
    scope,
    cpus: 4,
  });
  const control = new Int32Array(new SharedArrayBuffer(4 * slotOf(8)));
  const result = new SharedArrayBuffer(16, { maxByteLength: 1 << 20 });
  const channel = new MessageChannel();
  const replies = [];
  channel.port1.onmessage = (event) => replies.push(event.data);
  const init = { type: 'child-init', indexURL: 'u', files: [], control: control.buffer, slot: 2, result, port: channel.port2 };
  const originalError = console.error;
  console.error = (...args) => errors.push(args.map(String).join(' '));
  const done = () => {
    console.error = originalError;
    channel.port1.close();
  };
  // Sends down the port as the parent does, and waits for it to be handled.
  const send = async (message, transfer = []) => {
    channel.port1.postMessage(message, transfer);
    await tick();
    await tick();
  };
  return { child, posted, errors, scope, installed, control, result, init, send, done, replies };
}

test('a child loads, says ready, takes the program and answers a task in its slot', async () => {
  const t = setup();
  try {
    await t.child.receive(t.init);
    assert.deepEqual(t.posted, [{ type: 'child-ready' }]);
    assert.deepEqual(t.installed, [{ parallel: false, reason: null, cpus: 4, limit: 0 }]);
    await t.send({ type: 'load', source: 'def f(): pass' });
    assert.deepEqual(t.posted[1], { type: 'child-loaded', error: '', output: 'loaded 13\n' });
    Atomics.store(t.control, slotOf(2), BUSY); // as the parent's dispatch does
    const bytes = new Uint8Array([1, 2, 3]);
    await t.send({ type: 'task', bytes }, [bytes.buffer]);
    assert.equal(Atomics.load(t.control, slotOf(2)), ANSWERED);
    assert.equal(Atomics.load(t.control, 0), 1, 'the doorbell rang once');
    const { header, data } = readAnswer(t.control, 2, t.result);
    assert.equal(header.ok, true);
    assert.equal(header.output, 'out\n');
    assert.ok(header.ended >= header.started);
    assert.deepEqual([...data], [3, 2, 1]);
    assert.ok(t.result.byteLength > 16, 'the result buffer grew for the answer');
    assert.equal(Atomics.load(t.control, slotOf(2)), IDLE);
  } finally {
    t.done();
  }
});

test('a task that fails outside Python is answered as crashed', async () => {
  const t = setup({
    childRun: () => {
      throw new Error('RuntimeError: memory access out of bounds');
    },
  });
  try {
    await t.child.receive(t.init);
    const bytes = new Uint8Array([1]);
    await t.send({ type: 'task', bytes }, [bytes.buffer]);
    const { header } = readAnswer(t.control, 2, t.result);
    assert.equal(header.ok, false);
    assert.equal(header.crashed, 'RuntimeError: memory access out of bounds');
  } finally {
    t.done();
  }
});

test('a malformed task is still answered; an unknown message is reported to the parent', async () => {
  const t = setup();
  try {
    await t.child.receive(t.init);
    await t.send({ type: 'task', bytes: [1, 2] });
    const { header } = readAnswer(t.control, 2, t.result);
    assert.match(header.crashed, /the task did not reach the child intact: task: the field bytes is not a Uint8Array/);
    await t.send({ type: 'load' });
    assert.match(t.posted.at(-1).error, /the program did not reach the child intact/);
    await t.send({ type: 'reboot' });
    assert.equal(t.posted.at(-1).type, 'protocol-error');
    assert.match(t.posted.at(-1).message, /child interpreter 3 did not understand a message: unknown message type "reboot"/);
    t.child.receive(t.init);
    assert.match(t.posted.at(-1).message, /child-init arrived twice/);
    assert.equal(t.errors.length, 3);
  } finally {
    t.done();
  }
});

test('an uncaught error with a task in hand answers it as crashed and reports the child failed', async () => {
  const t = setup({
    childRun: () => {
      // The answer cannot be written: JSON.stringify throws on a BigInt.
      return [true, new Uint8Array(0), 1n, 0, 0];
    },
  });
  try {
    await t.child.receive(t.init);
    const bytes = new Uint8Array([1]);
    // The port's handler throws; the browser then fires an error event on the scope.
    assert.throws(() => t.init.port.onmessage({ data: { type: 'task', bytes } }), /BigInt/);
    assert.equal(t.child.busy, true);
    t.scope.dispatchEvent(Object.assign(new Event('error'), { message: 'Uncaught TypeError: Do not know how to serialize a BigInt' }));
    assert.equal(t.child.busy, false);
    const { header } = readAnswer(t.control, 2, t.result);
    assert.match(header.crashed, /child interpreter 3 failed: Uncaught .*BigInt/);
    assert.equal(t.posted.at(-1).type, 'child-failed');
  } finally {
    t.done();
  }
});

test('a child that cannot load Pyodide says so', async () => {
  const t = setup({ loadFails: true });
  try {
    await t.child.receive(t.init);
    assert.deepEqual(t.posted, [{ type: 'child-failed', message: 'no wasm' }]);
  } finally {
    t.done();
  }
});

test('a first message that is not child-init is refused', () => {
  const t = setup();
  try {
    t.child.receive({ type: 'load', source: '' });
    assert.match(t.posted[0].message, /load belongs on the port/);
  } finally {
    t.done();
  }
});
