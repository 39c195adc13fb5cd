import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, assertNoPageErrors } from '../lib.mjs';

// Python prints exactly this for [2, 4, 6, 3, 5, 7, 9] times 0.2.
const PY_OUTPUT = '[0.4, 0.8, 1.2000000000000002, 0.6000000000000001, 1.0, 1.4000000000000001, 1.8]';

function assertPipeline(json) {
  const dump = JSON.stringify(json);
  assert.equal(json.lab, 'async', `lab: ${dump}`);
  assert.equal(json.experiment, 'pipeline', `experiment: ${dump}`);
  assert.equal(json.status, 'done', `status: ${dump}`);
  assert.ok(Array.isArray(json.maxDepth) && json.maxDepth.length === 2, `maxDepth: ${dump}`);
  assert.ok(typeof json.producerBlockedMs === 'number' && json.producerBlockedMs >= 0, `producerBlockedMs: ${dump}`);
  return dump;
}

test('pipeline with queues of 2: Python\'s output, and backpressure on the producer', { timeout: 90_000 }, async () => {
  await withApp('/async?exp=pipeline&q1=2&q2=2&pms=50&tms=100&sms=150&run=1', async ({ page }) => {
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = assertPipeline(json);
    assert.equal(json.outputRepr, PY_OUTPUT, `outputRepr: ${dump}`);
    assert.equal(json.output.length, 7, `output: ${dump}`);
    assert.equal(json.q1, 2, `q1: ${dump}`);
    assert.equal(json.q2, 2, `q2: ${dump}`);
    assert.ok(json.producerBlockedMs > 0, `a slow saver should hold the producer back: ${dump}`);
    assert.ok(json.maxDepth[0] <= 2 && json.maxDepth[1] <= 2, `a queue grew past its maxsize 2: ${dump}`);

    assert.equal((await page.locator(testId('aio-output')).innerText()).trim(), `Saved: ${PY_OUTPUT}`, 'aio-output');
    assert.equal(await page.locator(testId('aio-depth-chart')).count(), 1, 'no queue depth chart');
    assert.equal(await page.locator(testId('aio-exp-pipeline')).isChecked(), true, 'the pipeline radio is not selected');
    assertNoPageErrors(page);
  });
});

test('pipeline with unbounded queues: the producer never waits, queue 2 piles up', { timeout: 90_000 }, async () => {
  const items = '1,2,3,4,5,6,7,8,9,10,11,12';
  await withApp(`/async?exp=pipeline&q1=0&q2=0&pms=10&tms=10&sms=150&items=${items}&run=1`, async ({ page }) => {
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = assertPipeline(json);
    assert.equal(json.output.length, 12, `output: ${dump}`);
    assert.deepEqual(json.output, items.split(',').map((x) => Number(x) * 0.2), `output values: ${dump}`);
    assert.ok(json.maxDepth[1] >= 5, `queue 2 should pile up in front of the slow saver: ${dump}`);
    // The page words the same figure: "never waited" vs "waited N ms ... backpressure".
    const summary = await page.locator('section[aria-label="Pipeline"] > p').first().innerText();
    assert.equal(
      json.producerBlockedMs,
      0,
      `an unbounded queue cannot block the producer; the page says ${JSON.stringify(summary)}; ${dump}`,
    );
    assert.match(summary, /never waited/, 'the pipeline summary claims the producer waited');
    assertNoPageErrors(page);
  });
});
