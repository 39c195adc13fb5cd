import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, openApp, isFiniteNumber, assertNoPageErrors } from '../lib.mjs';
import { waitForSimulated } from './threads-helpers.mjs';

// What each preset's link must show, from the CPython figures measured on a 2-core machine
// (python-models.md). The simulation is deterministic, so these bounds are about the model,
// not about this machine's speed.
const EXPECT = {
  'seed-io-pool': (j) => {
    assert.equal(j.executor, 'thread-pool');
    assert.equal(j.workers, 5);
    assert.ok(j.sequentialWallMs > 10_000 && j.sequentialWallMs < 10_600, `sequential ${j.sequentialWallMs}`);
    assert.ok(j.wallMs > 2_800 && j.wallMs < 3_200, `pool of 5 ${j.wallMs}`);
  },
  'cpu-threads': (j) => assert.ok(j.speedup >= 0.92 && j.speedup <= 0.99, `speedup ${j.speedup}`),
  'cpu-processes': (j) => {
    assert.equal(j.executor, 'process-pool');
    assert.ok(j.speedup >= 1.77 && j.speedup <= 1.81, `speedup ${j.speedup}`);
  },
  'cpu-free-threaded': (j) => {
    assert.equal(j.interpreter, 'free-threaded');
    assert.ok(j.speedup > 1.5 && j.speedup < 1.9, `speedup ${j.speedup}`);
  },
  'tiny-tasks': (j) => assert.ok(j.wallMs > 6 && j.wallMs < 8, `ThreadPoolExecutor(2) ${j.wallMs} ms`),
  convoy: (j) => {
    assert.ok(j.ioLatencyMs.p50 > 5.0 && j.ioLatencyMs.p50 < 5.6, `p50 ${j.ioLatencyMs.p50}`);
    const io = j.threads.find((t) => t.name === 'io');
    assert.ok(io && io.gilWaitMs > 900, `the io thread waited ${io?.gilWaitMs} ms for the GIL`);
  },
  'switch-interval': (j) => {
    assert.equal(j.switchIntervalMs, 1);
    assert.ok(j.ioLatencyMs.p50 > 1.1 && j.ioLatencyMs.p50 < 1.5, `p50 ${j.ioLatencyMs.p50}`);
  },
  'native-release': (j) => assert.ok(j.speedup > 1.7 && j.speedup <= 2.0, `speedup ${j.speedup}`),
  'c-call-holds': (j) => {
    const hb = j.threads.find((t) => t.name === 'heartbeat');
    assert.ok(hb && hb.gilWaitMs > 400, `the heartbeat waited ${hb?.gilWaitMs} ms for the GIL`);
  },
  counter: (j) => assert.equal(j.threads.length, 3),
};

test('each threads preset opened by link with run=1 gives its figures', { timeout: 300_000 }, async () => {
  const browser = await launch();
  try {
    for (const [id, check] of Object.entries(EXPECT)) {
      const app = await openApp(`/threads?preset=${id}&run=1`, { browser });
      try {
        const j = await waitForSimulated(app.page);
        const dump = JSON.stringify({ ...j, threads: j.threads.slice(0, 4) });
        assert.equal(j.lab, 'threads', dump);
        assert.equal(j.preset, id, dump);
        assert.equal(j.error, null, dump);
        for (const key of ['wallMs', 'sequentialWallMs', 'speedup', 'gilSwitches', 'cores', 'workers', 'switchIntervalMs']) {
          assert.ok(isFiniteNumber(j[key]), `${id}: ${key} is not a number: ${dump}`);
        }
        for (const t of j.threads) {
          for (const key of ['runningMs', 'gilWaitMs', 'ioMs']) assert.ok(isFiniteNumber(t[key]), `${id}: thread ${t.name} ${key}`);
        }
        assert.ok(Array.isArray(j.headlines) && j.headlines.length > 0, `${id}: no CPython check: ${dump}`);
        try {
          check(j);
        } catch (err) {
          err.message = `${id}: ${err.message}\n${dump}`;
          throw err;
        }
        // The page's own check table agrees: every headline of a preset is within its range.
        const outside = await app.page.locator('[data-testid="threads-check"] tr.warn').count();
        assert.equal(outside, 0, `${id}: a headline is outside its CPython range: ${JSON.stringify(j.headlines)}`);
        assertNoPageErrors(app.page);
      } finally {
        await app.close();
      }
    }
  } finally {
    await browser.close();
  }
});
