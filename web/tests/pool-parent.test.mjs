// The process pools' parent (web/python/pool-parent.js) with fake child workers: a child
// that dies after it was ready becomes a crashed answer (pool.py raises BrokenProcessPool),
// before it was ready a "did not start"; what children send is checked.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createPoolParent } from '../python/pool-parent.js';
import { IDLE, BUSY, slotOf, writeAnswer } from '../python/pool-shared.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

class FakeWorker {
  constructor(index) {
    this.index = index;
    this.sent = [];
    this.terminated = false;
    this.port = null;
  }
  postMessage(message) {
    this.sent.push(message);
    if (message.type === 'child-init') this.port = message.port;
  }
  terminate() {
    this.terminated = true;
    this.port?.close();
  }
  // What the child sends.
  say(message) {
    this.onmessage({ data: message });
  }
  fail(message) {
    let prevented = false;
    this.onerror({ message, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

/** A parent whose children answer `load` at once, unless `quiet` is set. */
function setup({ quiet = false } = {}) {
  const workers = [];
  const reports = [];
  const errors = [];
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const parent = createPoolParent({
    stackSwitching: true,
    isolated: true,
    cpus: 2,
    spawnWorker: (index) => {
      const worker = new FakeWorker(index);
      workers[index] = worker;
      return worker;
    },
    assets: () => ({ indexURL: 'https://site/pyodide/', files: [] }),
    interrupt: () => interrupt,
    onProtocolError: (text) => reports.push(text),
  });
  const api = parent.api();
  const originalError = console.error;
  console.error = (...args) => errors.push(args.map(String).join(' '));
  // A child that is ready and takes its program.
  const readyChild = (worker) => {
    worker.port.onmessage = (event) => {
      if (event.data.type === 'load' && !quiet) worker.say({ type: 'child-loaded', error: '', output: '' });
      if (event.data.type === 'task') worker.tasks = [...(worker.tasks ?? []), event.data];
    };
    worker.say({ type: 'child-ready' });
  };
  const done = () => {
    console.error = originalError;
    for (const w of workers) w?.port?.close();
  };
  return { parent, api, workers, reports, errors, interrupt, readyChild, done };
}

async function started(t, count) {
  t.parent.beginRun(1);
  const ensuring = t.api.ensure(count, 'source');
  for (let i = 0; i < count; i++) t.readyChild(t.workers[i]);
  return ensuring;
}

test('children start with child-init and take the program; the limit caps them', async () => {
  const t = setup();
  try {
    assert.equal(t.api.limit, 8);
    assert.equal(t.api.parallel, true);
    const reports = await started(t, 2);
    assert.deepEqual(reports.map((r) => [r.child, r.cold, r.error]), [[0, true, ''], [1, true, '']]);
    const init = t.workers[0].sent[0];
    assert.equal(init.type, 'child-init');
    assert.equal(init.slot, 0);
    assert.equal(init.indexURL, 'https://site/pyodide/');
    // Warm: the same run asks again and nothing starts.
    assert.deepEqual(await t.api.ensure(2, 'source'), []);
  } finally {
    t.done();
  }
});

test('a task goes down the port and its answer comes back through shared memory', async () => {
  const t = setup();
  try {
    await started(t, 1);
    t.api.dispatch(0, new Uint8Array([1, 2, 3]));
    await tick();
    assert.deepEqual([...t.workers[0].tasks[0].bytes], [1, 2, 3]);
    const control = new Int32Array(t.workers[0].sent[0].control);
    assert.equal(Atomics.load(control, slotOf(0)), BUSY);
    const result = t.workers[0].sent[0].result;
    const now = performance.timeOrigin + performance.now();
    writeAnswer(control, 0, result, { ok: true, output: 'hi\n', unpickleMs: 1, pickleMs: 2, started: now, ended: now + 5 }, new Uint8Array([9, 8]));
    const [answer] = t.api.wait(100);
    assert.equal(answer.child, 0);
    assert.equal(answer.ok, true);
    assert.equal(answer.crashed, '');
    assert.deepEqual([...answer.data], [9, 8]);
    assert.equal(answer.output, 'hi\n');
    assert.ok(Math.abs(answer.ended - answer.started - 5) < 1e-6);
    assert.equal(Atomics.load(control, slotOf(0)), IDLE);
    assert.deepEqual(t.api.wait(0), [], 'nothing more to collect');
  } finally {
    t.done();
  }
});

test('a busy child that dies after it was ready answers as crashed, and is replaced next time', async () => {
  const t = setup();
  try {
    await started(t, 2);
    t.api.dispatch(0, new Uint8Array([1]));
    assert.equal(t.workers[0].fail('out of memory'), true, 'the error stops here, not at the page');
    assert.equal(t.workers[0].terminated, true);
    const answers = t.api.wait(1000);
    assert.deepEqual(answers.map((a) => [a.child, a.ok, a.crashed]), [[0, false, 'out of memory']]);
    // The next run starts a new child 0 (cold) and keeps child 1 warm.
    t.parent.endRun();
    t.parent.beginRun(2);
    const ensuring = t.api.ensure(2, 'source');
    t.readyChild(t.workers[0]);
    const reports = await ensuring;
    assert.deepEqual(reports.map((r) => [r.child, r.cold]), [[0, true], [1, false]]);
  } finally {
    t.done();
  }
});

test('child-failed, or its port closing, after ready is a death too; a task for it is answered', async () => {
  const t = setup();
  try {
    await started(t, 2);
    t.workers[1].say({ type: 'child-failed', message: 'child interpreter 2 failed: RuntimeError' });
    assert.deepEqual(t.api.wait(1000).map((a) => [a.child, a.crashed]), [[1, 'child interpreter 2 failed: RuntimeError']]);
    // pool.py may dispatch to it before it hears: that task is answered as a crash.
    t.api.dispatch(1, new Uint8Array([1]));
    assert.deepEqual(t.api.wait(1000).map((a) => [a.child, a.crashed]), [[1, 'child interpreter 2 is gone']]);
  } finally {
    t.done();
  }
});

test('a child that dies before it is ready is one that did not start', async () => {
  const t = setup();
  try {
    t.parent.beginRun(1);
    const ensuring = t.api.ensure(2, 'source');
    t.readyChild(t.workers[0]);
    t.workers[1].say({ type: 'child-failed', message: 'no network' });
    const reports = await ensuring;
    assert.equal(reports[0].error, '');
    assert.match(reports[1].error, /child interpreter 2 did not start: no network/);
    assert.deepEqual(t.api.wait(0), [], 'not a crash of a running child');
  } finally {
    t.done();
  }
});

test('a child that dies while it takes the program does not leave the start waiting', async () => {
  const t = setup({ quiet: true });
  try {
    t.parent.beginRun(1);
    const ensuring = t.api.ensure(1, 'source');
    t.readyChild(t.workers[0]);
    await tick();
    t.workers[0].fail('crashed while importing');
    const [report] = await ensuring;
    assert.match(report.error, /child interpreter 1 stopped: crashed while importing/);
  } finally {
    t.done();
  }
});

test("an idle child's death between runs is not this run's crash", async () => {
  const t = setup();
  try {
    await started(t, 1);
    t.parent.endRun();
    t.workers[0].fail('gone');
    t.parent.beginRun(2);
    assert.deepEqual(t.api.wait(0), []);
  } finally {
    t.done();
  }
});

test('Stop while waiting answers undefined and lowers the flag; stop while starting rejects', async () => {
  const t = setup();
  try {
    await started(t, 1);
    t.api.dispatch(0, new Uint8Array([1]));
    Atomics.store(t.interrupt, 0, 2);
    assert.equal(t.api.wait(-1), undefined);
    assert.equal(Atomics.load(t.interrupt, 0), 0);
    t.api.stop_busy();
    assert.equal(t.workers[0].terminated, true, 'a busy child is ended with the program');

    const ensuring = t.api.ensure(2, 'source');
    t.parent.abortStarting();
    await assert.rejects(ensuring, /stopped while the pool started/);
  } finally {
    t.done();
  }
});

test("what a child sends is checked, and a child's own protocol errors reach the page", async () => {
  const t = setup();
  try {
    await started(t, 1);
    t.workers[0].say({ type: 'child-ready', extra: 1 });
    t.workers[0].say({ type: 'protocol-error', message: 'child interpreter 1 did not understand a message: x' });
    assert.equal(t.reports.length, 2);
    assert.match(t.reports[0], /child interpreter 1 sent a message the worker does not understand: child-ready: unknown field extra/);
    assert.match(t.reports[1], /did not understand a message: x/);
    assert.equal(t.errors.length, 2);
  } finally {
    t.done();
  }
});

test('without isolation, or on one interpreter, the pool says why it is not parallel', () => {
  const parent = createPoolParent({ stackSwitching: true, isolated: false, spawnWorker: () => assert.fail(), assets: () => ({}) });
  assert.equal(parent.api().parallel, false);
  assert.match(parent.api().reason, /not cross-origin isolated/);
  const noJspi = createPoolParent({ stackSwitching: false, isolated: true, spawnWorker: () => assert.fail(), assets: () => ({}) });
  assert.match(noJspi.api().reason, /JSPI/);
  const one = createPoolParent({ stackSwitching: true, isolated: true, spawnWorker: () => assert.fail(), assets: () => ({}) });
  one.beginRun(1, { one: true });
  assert.equal(one.api().parallel, false);
  assert.match(one.api().reason, /Run on one interpreter/);
});
