import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, assertNoPageErrors } from '../lib.mjs';
import { assertCpuRun } from './support.mjs';
import { waitForPool, clickAndWaitForDone, queryOf } from './cpu-helpers.mjs';

test('tasks can be added, edited by typing, run and removed', { timeout: 120_000 }, async () => {
  await withApp('/cpu?iters=1000&tasks=2-38,5-50', async ({ page }) => {
    await waitForPool(page, ['ready']);
    const byId = (id) => page.locator(testId(id));

    await byId('cpu-iterations').fill('1');
    await byId('cpu-task-add').click();
    await byId('cpu-task-start-2').waitFor({ state: 'visible', timeout: 5_000 });
    await byId('cpu-task-start-2').fill('7');
    await byId('cpu-task-end-2').fill('7');

    await waitFor(() => queryOf(page).get('tasks') === '2-38,5-50,7-7' && queryOf(page).get('iters') === '1', {
      timeout: 5_000,
      message: `tasks=2-38,5-50,7-7 and iters=1 in the address bar (url: ${page.url()})`,
    });
    assert.equal(await byId('validation-errors').count(), 0, 'validation errors after valid edits');

    const json = await clickAndWaitForDone(page, 'run');
    const tasks = assertCpuRun(json, { iterations: 1, ranges: [[2, 38], [5, 50], [7, 7]] });
    // 7..=7 multiplies to 7; one iteration: (7 % 1000000007) * 2.
    assert.equal(tasks[2].result, '14', `result of task 3 (7..=7, 1 iteration): ${JSON.stringify(json)}`);

    await byId('cpu-task-remove-0').click();
    await waitFor(() => (queryOf(page).get('tasks') ?? '').startsWith('5-50'), {
      timeout: 5_000,
      message: `the tasks parameter to start with 5-50 after removing task 1 (url: ${page.url()})`,
    });
    assert.equal(queryOf(page).get('tasks'), '5-50,7-7', `tasks after removing task 1: ${page.url()}`);
    assert.equal(await byId('cpu-task-start-0').inputValue(), '5', 'task 1 start after removing the old task 1');
    assert.equal(await byId('cpu-task-start-1').inputValue(), '7', 'task 2 start after removing the old task 1');
    assert.equal(await byId('cpu-task-end-1').inputValue(), '7', 'task 2 end after removing the old task 1');
    assert.equal(await byId('cpu-task-start-2').count(), 0, 'a third task row is still shown');

    assertNoPageErrors(page);
  });
});
