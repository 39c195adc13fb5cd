import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, assertNoPageErrors } from '../lib.mjs';
import {
  BANK_COUNTS,
  BANK_TOTAL,
  barCounts,
  barSelector,
  countsByOutcome,
  sumOfCounts,
  waitForExhaustive,
} from './race-helpers.mjs';

test('a link with mode=exhaustive&run=1 counts every bank interleaving', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank&mode=exhaustive&run=1', async ({ page }) => {
    const json = await waitForExhaustive(page);
    const dump = JSON.stringify(json);
    assert.equal(json.lab, 'race', `lab: ${dump}`);
    assert.equal(json.scenario, 'bank', `scenario: ${dump}`);
    assert.equal(json.mode, 'exhaustive', `mode: ${dump}`);
    assert.equal(json.error, null, `error: ${dump}`);

    const ex = json.exhaustive;
    assert.equal(ex.total, BANK_TOTAL, `total interleavings: ${dump}`);
    assert.deepEqual(countsByOutcome(ex), { ...BANK_COUNTS }, `outcome counts: ${dump}`);
    assert.equal(sumOfCounts(ex), BigInt(ex.total), `the counts do not add up to the total: ${dump}`);
    for (const o of ex.outcomes) {
      const balance = Number(o.outcome.replace('balance = ', ''));
      assert.deepEqual(o.values, { balance }, `values of ${o.outcome}: ${dump}`);
      assert.equal(o.deadlock, false, `${o.outcome} marked as a deadlock: ${dump}`);
      assert.ok(Math.abs(o.share - Number(o.count) / 2520) < 1e-9, `share of ${o.outcome}: ${dump}`);
      // A witness is a complete schedule: each of the 4 threads takes its 2 steps.
      assert.equal(o.witness.length, 8, `witness of ${o.outcome}: ${dump}`);
      for (const t of [0, 1, 2, 3]) {
        assert.equal(o.witness.filter((x) => x === t).length, 2, `witness of ${o.outcome} moves thread ${t} twice: ${dump}`);
      }
    }

    // The histogram agrees with the JSON.
    await page.locator(barSelector('exhaustive')).first().waitFor({ state: 'visible', timeout: 5_000 });
    const container = page.locator(testId('race-exhaustive'));
    assert.equal(await container.locator(barSelector('exhaustive')).count(), 4, 'exhaustive histogram bar count');
    assert.deepEqual(await barCounts(page, 'exhaustive'), { ...BANK_COUNTS }, 'exhaustive bars data-count');
    const totalText = await page.locator(testId('race-exhaustive-total')).innerText();
    assert.match(totalText, /\b2520\b/, `race-exhaustive-total: ${JSON.stringify(totalText)}`);

    // run=1 is not kept in the address bar; the rest of the config is.
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('run'), null, `run=1 left in the address bar: ${page.url()}`);
    assert.equal(q.get('preset'), 'bank', `preset lost from the address bar: ${page.url()}`);
    assert.equal(q.get('mode'), 'exhaustive', `mode lost from the address bar: ${page.url()}`);

    assertNoPageErrors(page);
  });
});

test('exhaustive counts of the bank-lock, deadlock and counter presets', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank-lock&mode=exhaustive&run=1', async ({ page, goto }) => {
    // With the Lock every interleaving ends at 800.
    let json = await waitForExhaustive(page);
    let dump = JSON.stringify(json);
    assert.equal(json.scenario, 'bank-lock', `scenario: ${dump}`);
    assert.deepEqual(
      json.exhaustive.outcomes.map((o) => o.outcome),
      ['balance = 800'],
      `bank-lock outcomes: ${dump}`,
    );
    assert.equal(json.exhaustive.outcomes[0].count, json.exhaustive.total, `bank-lock count vs total: ${dump}`);
    assert.ok(BigInt(json.exhaustive.total) > 0n, `bank-lock total: ${dump}`);
    assert.deepEqual(Object.keys(await barCounts(page, 'exhaustive')), ['balance = 800'], 'bank-lock bars');

    // Opposite lock orders: some interleavings deadlock.
    await goto('/race?preset=deadlock&mode=exhaustive&run=1');
    json = await waitForExhaustive(page);
    dump = JSON.stringify(json);
    assert.equal(json.scenario, 'deadlock', `scenario: ${dump}`);
    const stuck = json.exhaustive.outcomes.filter((o) => o.outcome.startsWith('deadlock'));
    assert.ok(stuck.length >= 1, `no outcome labelled "deadlock…": ${dump}`);
    for (const o of stuck) assert.equal(o.deadlock, true, `deadlock flag of ${o.outcome}: ${dump}`);
    assert.ok(
      json.exhaustive.outcomes.some((o) => !o.deadlock),
      `the deadlock preset should also have interleavings that finish: ${dump}`,
    );
    assert.equal(sumOfCounts(json.exhaustive), BigInt(json.exhaustive.total), `deadlock counts vs total: ${dump}`);
    const deadlockBars = Object.keys(await barCounts(page, 'exhaustive'));
    assert.ok(deadlockBars.some((l) => l.startsWith('deadlock')), `no deadlock bar: ${JSON.stringify(deadlockBars)}`);

    // counter += 1 by 3 threads, twice each: 12!/(4!^3) interleavings.
    await goto('/race?preset=counter&mode=exhaustive&run=1');
    json = await waitForExhaustive(page);
    dump = JSON.stringify(json);
    assert.equal(json.scenario, 'counter', `scenario: ${dump}`);
    assert.equal(json.exhaustive.total, '34650', `counter total: ${dump}`);
    assert.deepEqual(
      json.exhaustive.outcomes.map((o) => o.outcome).sort(),
      ['counter = 2', 'counter = 3', 'counter = 4', 'counter = 5', 'counter = 6'],
      `counter outcomes: ${dump}`,
    );
    assert.equal(sumOfCounts(json.exhaustive), 34650n, `counter counts vs total: ${dump}`);
    const totalText = await page.locator(testId('race-exhaustive-total')).innerText();
    assert.match(totalText, /\b34650\b/, `race-exhaustive-total: ${JSON.stringify(totalText)}`);

    assertNoPageErrors(page);
  });
});
