import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, waitFor, assertNoPageErrors } from '../lib.mjs';
import { STEP_CELLS, barSelector, waitForExhaustive, waitForRuns, waitForPosition, waitForRaceLab } from './race-helpers.mjs';

/** Wait until the address bar's `key` parameter is `value` (null: absent). */
async function waitForParam(page, key, value) {
  await waitFor(() => new URL(page.url()).searchParams.get(key) === value, {
    timeout: 5_000,
    message: `the address bar's ${key} to be ${JSON.stringify(value)} (now ${page.url()})`,
  });
}

/** The tooltip text of every timeline box, in order. */
const stepTitles = (page) =>
  page.locator(STEP_CELLS).evaluateAll((gs) => gs.map((g) => g.querySelector('title')?.textContent ?? ''));

/** Wait for the prediction verdict to say right ("true") or wrong ("false"); returns its text. */
async function waitForVerdict(page, right) {
  const verdict = page.locator(testId('race-prediction-result'));
  await verdict.waitFor({ state: 'visible', timeout: 5_000 });
  await waitFor(async () => (await verdict.getAttribute('data-right')) === right, {
    timeout: 5_000,
    message: `race-prediction-result data-right="${right}"`,
  });
  return (await verdict.innerText()).trim();
}

test('a prediction is checked against the run, travels in the link, and bad input is said', { timeout: 120_000 }, async () => {
  // Round robin lets all four withdrawals read 1000 before anyone writes: always 950.
  await withApp('/race?preset=bank&sched=rr', async ({ page }) => {
    await waitForRaceLab(page);
    const predict = page.locator(testId('race-predict'));
    await predict.fill('900');
    await waitForParam(page, 'predict', '900');
    let json = await readResults(page);
    assert.equal(json.prediction, 900, `prediction in the results: ${JSON.stringify(json)}`);
    assert.equal(await page.locator(testId('race-prediction-result')).count(), 0, 'a verdict is shown before the run');

    // Before the run, the timeline must not give the ending away.
    const before = await stepTitles(page);
    assert.equal(before.length, 8, `timeline boxes before the run: ${JSON.stringify(before)}`);
    for (const title of before) {
      assert.doesNotMatch(title, /reads|writes|balance|=/, `a step not taken yet reveals a value: ${JSON.stringify(title)}`);
      assert.match(title, /not taken yet/, `tooltip of a step still to come: ${JSON.stringify(title)}`);
    }

    // Run: the verdict says the guess was wrong, and what the run ended with.
    await page.locator(testId('run')).click();
    await waitForPosition(page, 8);
    await page.locator(testId('race-outcome')).waitFor({ state: 'visible', timeout: 5_000 });
    let text = await waitForVerdict(page, 'false');
    assert.match(text, /You predicted balance = 900; this run ended with balance = 950\./, `verdict: ${JSON.stringify(text)}`);
    const after = await stepTitles(page);
    assert.ok(after.some((t) => /writes balance = 950/.test(t)), `taken steps should explain themselves: ${JSON.stringify(after)}`);

    // A right guess.
    await predict.fill('950');
    await waitForParam(page, 'predict', '950');
    text = await waitForVerdict(page, 'true');
    assert.match(text, /You predicted balance = 950: right for this run\./, `verdict: ${JSON.stringify(text)}`);
    assert.match((await page.locator(testId('race-prediction-result')).getAttribute('class')) ?? '', /\bok\b/, 'a right verdict has class "ok"');

    // The link restores the prediction and the moment, so the verdict is there at once.
    const link = page.url();
    assert.equal(new URL(link).searchParams.get('at'), '8', `address bar: ${link}`);
    await page.goto(link, { waitUntil: 'load' });
    await waitForRaceLab(page);
    assert.equal(await predict.inputValue(), '950', 'the predict field after reloading the link');
    text = await waitForVerdict(page, 'true');
    assert.match(text, /right for this run/, `verdict after reloading: ${JSON.stringify(text)}`);

    // The matching bar is marked in the repeated runs too (round robin runs with seeded
    // random choices, so several outcomes appear).
    await page.locator(testId('race-run-many')).click();
    json = await waitForRuns(page);
    const marked = await page
      .locator(barSelector('runs'))
      .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-outcome'), li.getAttribute('data-predicted')]));
    for (const [outcome, flag] of marked) {
      assert.equal(flag, String(outcome === 'balance = 950'), `runs bar ${outcome} data-predicted: ${JSON.stringify(marked)}`);
    }

    // Bad input is said next to the field, and no prediction is kept or linked.
    await predict.fill('12abc');
    const error = page.locator(testId('race-predict-error'));
    await error.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await error.innerText(), /not a whole number or the word deadlock/, 'message for "12abc"');
    await waitForParam(page, 'predict', null);
    json = await readResults(page);
    assert.equal(json.prediction, null, `prediction after bad input: ${JSON.stringify(json)}`);
    assert.equal(await page.locator(testId('race-prediction-result')).count(), 0, 'a verdict is shown for bad input');

    // The page and the link share one bound: ±10^12.
    await predict.fill('-1000000000001');
    await waitFor(async () => /out of range/.test(await error.innerText()), { timeout: 5_000, message: 'the out-of-range message' });
    await predict.fill('-1000000000000');
    await error.waitFor({ state: 'detached', timeout: 5_000 });
    await waitForParam(page, 'predict', '-1000000000000');

    await predict.fill('');
    await waitForParam(page, 'predict', null);
    assert.equal(await error.count(), 0, 'an empty field is not an error');

    assertNoPageErrors(page);
  });
});

test('predicting a deadlock marks the deadlock bar and is checked against each witness', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=deadlock&mode=exhaustive&predict=deadlock&run=1', async ({ page }) => {
    const json = await waitForExhaustive(page);
    const dump = JSON.stringify(json);
    assert.equal(json.prediction, 'deadlock', `prediction: ${dump}`);
    assert.equal(await page.locator(testId('race-predict')).inputValue(), 'deadlock', 'the predict field');
    assert.equal(new URL(page.url()).searchParams.get('predict'), 'deadlock', `address bar: ${page.url()}`);

    const bars = await page
      .locator(barSelector('exhaustive'))
      .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-outcome'), li.getAttribute('data-predicted')]));
    assert.ok(bars.some(([o]) => o.startsWith('deadlock')), `no deadlock bar: ${JSON.stringify(bars)}`);
    assert.ok(bars.some(([o]) => !o.startsWith('deadlock')), `no bar that finishes: ${JSON.stringify(bars)}`);
    for (const [outcome, flag] of bars) {
      assert.equal(flag, String(outcome.startsWith('deadlock')), `bar ${outcome} data-predicted: ${JSON.stringify(bars)}`);
    }

    // Each witness, played to its end, gets the verdict its outcome deserves.
    for (const entry of json.exhaustive.outcomes) {
      await page.locator(barSelector('exhaustive', entry.outcome)).click();
      await waitForPosition(page, 0);
      await page.locator(testId('run')).click();
      await waitForPosition(page, entry.witness.length);
      await page.locator(testId('race-outcome')).waitFor({ state: 'visible', timeout: 5_000 });
      const text = await waitForVerdict(page, String(entry.deadlock));
      if (entry.deadlock) {
        assert.match(text, /You predicted a deadlock: right for this run\./, `verdict for ${entry.outcome}: ${JSON.stringify(text)}`);
      } else {
        assert.match(
          text,
          /You predicted a deadlock; this run ended with transfers = \d+\./,
          `verdict for ${entry.outcome}: ${JSON.stringify(text)}`,
        );
      }
    }

    assertNoPageErrors(page);
  });
});
