import test from 'node:test';
import assert from 'node:assert/strict';
import { createTicker, startTicker, tickerLoop } from '../python/ticker.js';

test('the ticker raises its signal only into an empty buffer, and ends when told', () => {
  const control = new Int32Array(new SharedArrayBuffer(16));
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  control[0] = 10; // SIGUSR1: threads are alive
  let periods = 0;
  const wait = (array, index) => {
    if (array === control && index === 2) {
      periods += 1;
      if (periods === 2) interrupt[0] = 0; // Python took the first tick
      if (periods === 3) interrupt[0] = 2; // Stop raised SIGINT: never overwritten
      if (periods === 4) control[1] = 1; // quit
    }
    return 'timed-out';
  };
  tickerLoop(control, interrupt, wait);
  assert.equal(periods, 4);
  assert.equal(interrupt[0], 2, "Stop's SIGINT is still there");
  assert.equal(control[3], 2, 'two ticks were written');
});

test('the ticker sleeps while no thread is alive', () => {
  const control = new Int32Array(new SharedArrayBuffer(16));
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const waits = [];
  const wait = (array, index, value) => {
    waits.push([index, value]);
    if (waits.length === 3) control[1] = 1;
    return 'timed-out';
  };
  tickerLoop(control, interrupt, wait);
  assert.equal(interrupt[0], 0, 'signal 0 raises nothing');
  assert.deepEqual(waits[0], [0, 0], 'it waits for a signal to raise');
});

test('a ticker refuses a first message that is not ticker-init', () => {
  const posted = [];
  createTicker({ post: (m) => posted.push(m) }).receive({ type: 'ticker-init', control: 1 });
  assert.equal(posted.length, 1);
  assert.equal(posted[0].type, 'protocol-error');
  assert.match(posted[0].message, /control/);
});

test('a ticker that does not start in time is given up, and one that does is driven', async () => {
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  let terminated = 0;
  const silent = () => ({ postMessage() {}, terminate: () => (terminated += 1) });
  await assert.rejects(startTicker(interrupt, silent, { timeoutMs: 10 }), /did not start within 10 ms/);
  assert.equal(terminated, 1);

  let control = null;
  const ready = () => {
    const worker = {
      postMessage(message) {
        control = new Int32Array(message.control);
        queueMicrotask(() => worker.onmessage({ data: { type: 'ticker-ready' } }));
      },
      terminate: () => (terminated += 1),
    };
    return worker;
  };
  const ticker = await startTicker(interrupt, ready, { timeoutMs: 1000 });
  ticker.start(10);
  assert.equal(control[0], 10);
  ticker.stop();
  assert.equal(control[0], 0);
  assert.equal(terminated, 1, 'a ticker that started is kept');
});
