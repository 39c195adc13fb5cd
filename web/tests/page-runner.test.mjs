// The lab worker's page role (web/python/page-runner.js) with a fake Pyodide: every
// message it posts fits protocol.json, and every message it gets is answered.
import test from 'node:test';
import assert from 'node:assert/strict';
import { checker } from '../python/protocol.js';
import { createPageRunner, stoppedRecord, SNAPSHOT_IDLE_MS } from '../python/page-runner.js';

const toPage = checker('workerToPage');
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function record(status = 'done') {
  return JSON.stringify({ status, exception: null, wallMs: 1, tasks: [], ticks: [], cut: false, pool: null, threadsStarted: 0 });
}

/** A runner on a fake Pyodide whose load the test finishes (or fails) when it likes. */
function setup({ stackSwitching = true, scripts = {}, now, timers, start = 'plain', snapshots = false } = {}) {
  const posted = [];
  const errors = [];
  const calls = [];
  let finishLoad, failLoad;
  const loading = new Promise((resolve, reject) => {
    finishLoad = resolve;
    failLoad = reject;
  });
  const runs = new Map(); // code -> resolve of its result
  const runtime = {
    python_version: () => '3.14.0',
    run: {
      callPromising: (code, emit) => {
        calls.push(['run', code]);
        (scripts[code] ?? ((out) => out('stdout', `ran ${code}\n`)))(emit);
        return new Promise((resolve, reject) => runs.set(code, { resolve, reject }));
      },
    },
    run_async: (code, emit) => runtime.run.callPromising(code, emit),
    stop: () => calls.push(['stop']),
  };
  const pyodide = {
    setInterruptBuffer: () => calls.push(['interrupt buffer']),
    pyimport: (name) =>
      name === 'playground_runtime' ? runtime : { install: (api) => calls.push(['install', name, api]) },
  };
  const pool = {
    api: () => ({ fake: true }),
    beginRun: (run, options) => calls.push(['beginRun', run, options]),
    endRun: () => calls.push(['endRun']),
    abortStarting: () => calls.push(['abortStarting']),
  };
  const runner = createPageRunner({
    post: (m) => {
      assert.equal(toPage(m), null, `posted ${JSON.stringify(m)}`);
      posted.push(m);
    },
    load: async (indexURL, files, onProgress) => {
      onProgress(1, 2, 'pyodide.asm.wasm');
      await loading;
      return { pyodide, start };
    },
    ...(snapshots
      ? {
          makeSnapshot: async (indexURL, files) => {
            calls.push(['makeSnapshot', indexURL, files.length]);
            return 1;
          },
        }
      : {}),
    stackSwitching,
    ...(now ? { now } : {}),
    ...(timers ?? {}),
    createPool: () => pool,
    createThreadsHost: () => ({ host: true }),
  });
  const originalError = console.error;
  console.error = (...args) => errors.push(args.map(String).join(' '));
  const done = () => {
    console.error = originalError;
  };
  return { runner, posted, errors, calls, runs, finishLoad: () => finishLoad(pyodide), failLoad, done };
}

const INIT = { type: 'init', indexURL: 'https://site/pyodide/', files: [{ name: 'pyodide.asm.wasm', size: 2 }] };

test('a run sent before CPython is ready waits for it, then runs', async () => {
  const t = setup();
  try {
    const init = t.runner.receive(INIT);
    t.runner.receive({ type: 'run', run: 1, code: 'a' });
    await tick();
    assert.deepEqual(t.posted.map((m) => m.type), ['progress']);
    t.finishLoad();
    await init;
    const { loadMs, ...ready } = t.posted[1];
    assert.deepEqual(ready, { type: 'ready', python: '3.14.0', interrupts: false, stackSwitching: true, start: 'plain' });
    assert.ok(Number.isFinite(loadMs) && loadMs >= 0, `loadMs ${loadMs}`);
    assert.deepEqual(t.calls.find((c) => c[0] === 'run'), ['run', 'a']);
    t.runs.get('a').resolve(record());
    await tick();
    assert.deepEqual(t.posted.slice(2), [
      { type: 'output', run: 1, stream: 'stdout', text: 'ran a\n' },
      { type: 'finished', run: 1, result: record() },
    ]);
    assert.deepEqual(t.calls.filter((c) => c[0] === 'beginRun' || c[0] === 'endRun'), [['beginRun', 1, { one: false }], ['endRun']]);
  } finally {
    t.done();
  }
});

test('a run that arrives before init waits too; runs go one at a time, in order', async () => {
  const t = setup();
  try {
    t.runner.receive({ type: 'run', run: 1, code: 'a', pool: 'one' });
    t.runner.receive({ type: 'run', run: 2, code: 'b' });
    const init = t.runner.receive(INIT);
    t.finishLoad();
    await init;
    assert.deepEqual(t.calls.filter((c) => c[0] === 'run'), [['run', 'a']]);
    assert.deepEqual(t.calls.find((c) => c[0] === 'beginRun'), ['beginRun', 1, { one: true }]);
    t.runs.get('a').resolve(record());
    await tick();
    assert.deepEqual(t.calls.filter((c) => c[0] === 'run'), [['run', 'a'], ['run', 'b']]);
    t.runs.get('b').resolve(record());
    await tick();
    assert.deepEqual(t.posted.filter((m) => m.type === 'finished').map((m) => m.run), [1, 2]);
  } finally {
    t.done();
  }
});

test('stop for a run still waiting removes it and finishes it as stopped', async () => {
  const t = setup();
  try {
    const interrupt = new Int32Array(new SharedArrayBuffer(4));
    const init = t.runner.receive({ ...INIT, interrupt: interrupt.buffer });
    t.runner.receive({ type: 'run', run: 7, code: 'never' });
    Atomics.store(interrupt, 0, 2); // what the page does before it posts stop
    t.runner.receive({ type: 'stop', run: 7 });
    assert.deepEqual(t.posted.at(-1), { type: 'finished', run: 7, result: stoppedRecord() });
    t.finishLoad();
    await init;
    assert.equal(Atomics.load(interrupt, 0), 0, 'the flag raised for it is lowered');
    assert.ok(!t.calls.some((c) => c[0] === 'run'), 'the stopped run never ran');
    assert.equal(t.posted.find((m) => m.type === 'ready').interrupts, true);
    // A stop for a run that has already ended is no error: its answer is on the way.
    t.runner.receive({ type: 'stop', run: 7 });
    assert.equal(t.errors.length, 0);
  } finally {
    t.done();
  }
});

test('stop for the running program lowers the flag, stops a pool starting, and cancels', async () => {
  const t = setup();
  try {
    const interrupt = new Int32Array(new SharedArrayBuffer(4));
    const init = t.runner.receive({ ...INIT, interrupt: interrupt.buffer });
    t.finishLoad();
    await init;
    t.runner.receive({ type: 'run', run: 1, code: 'a' });
    Atomics.store(interrupt, 0, 2);
    t.runner.receive({ type: 'stop', run: 1 });
    assert.equal(Atomics.load(interrupt, 0), 0);
    assert.deepEqual(t.calls.slice(-2), [['abortStarting'], ['stop']]);
    t.runs.get('a').resolve(record('stopped'));
    await tick();
    assert.equal(t.posted.at(-1).type, 'finished');
  } finally {
    t.done();
  }
});

test('when CPython fails to load, waiting and later runs are answered as crashed', async () => {
  const t = setup();
  try {
    const init = t.runner.receive(INIT);
    t.runner.receive({ type: 'run', run: 1, code: 'a' });
    t.failLoad(new Error('network down'));
    await init;
    t.runner.receive({ type: 'run', run: 2, code: 'b' });
    assert.deepEqual(t.posted.slice(1), [
      { type: 'load-failed', message: 'network down' },
      { type: 'crashed', run: 1, message: 'CPython did not load: network down' },
      { type: 'crashed', run: 2, message: 'CPython did not load: network down' },
    ]);
  } finally {
    t.done();
  }
});

test('a run that fails outside the program is crashed, and the next one still runs', async () => {
  const t = setup({ stackSwitching: false });
  try {
    const init = t.runner.receive(INIT);
    t.finishLoad();
    await init;
    t.runner.receive({ type: 'run', run: 1, code: 'a' });
    t.runner.receive({ type: 'run', run: 2, code: 'b' });
    t.runs.get('a').reject(new Error('RuntimeError: unreachable'));
    await tick();
    assert.deepEqual(t.posted.filter((m) => m.type === 'crashed'), [{ type: 'crashed', run: 1, message: 'RuntimeError: unreachable' }]);
    assert.deepEqual(t.calls.filter((c) => c[0] === 'run').map((c) => c[1]), ['a', 'b']);
  } finally {
    t.done();
  }
});

test('a message it does not understand is reported, not ignored', async () => {
  const t = setup();
  try {
    t.runner.receive({ type: 'frobnicate' });
    assert.equal(t.posted.at(-1).type, 'protocol-error');
    assert.match(t.posted.at(-1).message, /unknown message type "frobnicate"/);
    t.runner.receive(null);
    assert.match(t.posted.at(-1).message, /must be an object/);
    // A run the page waits for is ended by its own answer.
    t.runner.receive({ type: 'run', run: 4 });
    assert.deepEqual(t.posted.at(-1), { type: 'crashed', run: 4, message: 'the Python worker did not understand a message: run: the field code is missing' });
    const init = t.runner.receive(INIT);
    t.runner.receive(INIT);
    assert.match(t.posted.at(-1).message, /init arrived twice/);
    t.finishLoad();
    await init;
    assert.equal(t.errors.length, 4, t.errors.join('\n'));
  } finally {
    t.done();
  }
});

test('output is batched: within 40 ms, one message per stretch of one stream', async () => {
  let clock = 1000;
  const t = setup({
    now: () => clock,
    scripts: {
      chatty: (emit) => {
        emit('stdout', 'first\n'); // the first write goes at once
        for (const [stream, text] of [['stdout', 'a'], ['stdout', 'b\n'], ['stderr', 'oops\n'], ['stdout', 'c\n']]) {
          clock += 1;
          emit(stream, text);
        }
      },
    },
  });
  try {
    const init = t.runner.receive(INIT);
    t.finishLoad();
    await init;
    t.runner.receive({ type: 'run', run: 1, code: 'chatty' });
    assert.deepEqual(t.posted.filter((m) => m.type === 'output').map((m) => m.text), ['first\n']);
    t.runs.get('chatty').resolve(record());
    await tick();
    assert.deepEqual(
      t.posted.filter((m) => m.type === 'output').map((m) => [m.stream, m.text]),
      [['stdout', 'first\n'], ['stdout', 'ab\n'], ['stderr', 'oops\n'], ['stdout', 'c\n']],
    );
    assert.equal(t.posted.at(-1).type, 'finished', 'the output goes before the run ends');
  } finally {
    t.done();
  }
});

test("the stopped record has runtime.py's fields (test_runtime.py checks that side)", () => {
  const fields = ['status', 'exception', 'wallMs', 'tasks', 'ticks', 'cut', 'pool', 'threadsStarted', 'threads'];
  const stopped = JSON.parse(stoppedRecord());
  assert.deepEqual(Object.keys(stopped).sort(), [...fields].sort());
  assert.equal(stopped.status, 'stopped');
  assert.deepEqual(Object.keys(stopped.exception).sort(), ['line', 'message', 'traceback', 'type']);
});

test('after a plain start the snapshot is made once CPython has been idle for a while; after a restore, none', async () => {
  // Timers the test fires itself: [delay, callback] while pending.
  const pending = new Map();
  let nextId = 1;
  const timers = {
    setTimer: (callback, ms) => {
      pending.set(nextId, [ms, callback]);
      return nextId++;
    },
    clearTimer: (id) => pending.delete(id),
  };
  const fire = () => {
    const due = [...pending.entries()];
    pending.clear();
    for (const [, [, callback]] of due) callback();
  };
  const t = setup({ snapshots: true, timers });
  const made = () => t.calls.filter(([c]) => c === 'makeSnapshot');
  try {
    t.runner.receive(INIT);
    t.finishLoad();
    await tick();
    assert.deepEqual([...pending.values()].map(([ms]) => ms), [SNAPSHOT_IDLE_MS], 'waits once ready');
    // The run a link asks for comes just after "ready": the wait starts again after it.
    t.runner.receive({ type: 'run', run: 1, code: 'a' });
    assert.equal(pending.size, 0, 'not while run 1 goes');
    t.runs.get('a').resolve(record());
    await tick();
    assert.deepEqual(made(), []);
    assert.deepEqual([...pending.values()].map(([ms]) => ms), [SNAPSHOT_IDLE_MS]);
    fire();
    assert.deepEqual(made(), [['makeSnapshot', INIT.indexURL, 1]]);
    t.runner.receive({ type: 'run', run: 2, code: 'b' });
    t.runs.get('b').resolve(record());
    await tick();
    fire();
    assert.equal(made().length, 1, 'made once');
  } finally {
    t.done();
  }

  const restored = setup({ snapshots: true, start: 'snapshot' });
  try {
    restored.runner.receive(INIT);
    restored.finishLoad();
    await tick();
    assert.equal(restored.posted.find((m) => m.type === 'ready').start, 'snapshot');
    assert.deepEqual(restored.calls.filter(([c]) => c === 'makeSnapshot'), []);
  } finally {
    restored.done();
  }
});

test('loading progress is posted at most every 50 ms, and always at its end', async () => {
  let clock = 0;
  const posted = [];
  const runner = createPageRunner({
    post: (m) => posted.push(m),
    load: async (indexURL, files, onProgress) => {
      for (let loaded = 1; loaded <= 100; loaded += 1) {
        clock += 2; // a chunk every 2 ms
        onProgress(loaded, 100, 'pyodide.asm.wasm');
      }
      return new Promise(() => {}); // still loading
    },
    stackSwitching: true,
    now: () => clock,
    createPool: () => ({}),
    createThreadsHost: () => ({}),
  });
  runner.receive({ type: 'init', indexURL: 'https://site/pyodide/', files: [] });
  await tick();
  const loaded = posted.filter((m) => m.type === 'progress').map((m) => m.loaded);
  assert.equal(loaded[0], 1);
  assert.equal(loaded.at(-1), 100, 'the end is always posted');
  assert.ok(loaded.length <= 6, `${loaded.length} progress messages for 200 ms`);
});
