import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, waitForStatus, assertNoPageErrors } from '../lib.mjs';
import { assertCpuRun, CPYTHON_RESULTS } from './support.mjs';
import { waitForPool, pythonTask } from './cpu-helpers.mjs';

const CLIPBOARD = { contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] } };

test('Copy link copies the share URL, and the copied link runs by itself', { timeout: 120_000 }, async () => {
  // The reference below must agree with the CPython figures the other tests use.
  assert.equal(pythonTask(2, 38, 1000), CPYTHON_RESULTS[1000][0], 'pythonTask() disagrees with CPython');

  await withApp('/cpu?mode=parallel&k=2&iters=5000&tasks=3-9,4-10', CLIPBOARD, async ({ page, url }) => {
    await waitForPool(page, ['ready']);
    const shareUrl = page.locator(testId('share-url'));

    await page.locator(testId('copy-link')).click();
    const status = page.locator(testId('copy-status'));
    await status.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal((await status.innerText()).trim(), 'Link copied.');

    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, await shareUrl.inputValue(), 'clipboard text differs from the share-url box');
    const link = new URL(copied);
    assert.equal(link.origin, new URL(url).origin, `copied link points elsewhere: ${copied}`);
    assert.equal(link.pathname, '/cpu', `copied link path: ${copied}`);
    const q = link.searchParams;
    for (const [key, value] of [['run', '1'], ['mode', 'parallel'], ['k', '2'], ['iters', '5000'], ['tasks', '3-9,4-10']]) {
      assert.equal(q.get(key), value, `copied link should carry ${key}=${value}: ${copied}`);
    }
    assert.ok(copied.includes('tasks=3-9,4-10'), `tasks should stay readable (no %2C) in the link: ${copied}`);

    // Open the copied link: it runs by itself.
    await page.goto(copied, { waitUntil: 'load' });
    const json = await waitForStatus(page, ['done'], 60_000);
    assertCpuRun(json, {
      mode: 'parallel',
      iterations: 5000,
      ranges: [[3, 9], [4, 10]],
      results: [pythonTask(3, 9, 5000), pythonTask(4, 10, 5000)],
      workers: [0, 1],
    });
    assert.equal(new URL(page.url()).searchParams.get('run'), null, `run=1 left in the address bar: ${page.url()}`);

    // Untick "run when opened": the link loses run=1 and keeps the rest.
    assert.match(await shareUrl.inputValue(), /[?&]run=1(&|$)/, 'share-url lost run=1 before unticking');
    await page.locator(testId('run-in-link')).uncheck();
    const plain = await waitFor(
      async () => {
        const v = await shareUrl.inputValue();
        return /[?&]run=1(&|$)/.test(v) ? null : v;
      },
      { timeout: 5_000, message: 'share-url to drop run=1 after unticking run-in-link' },
    );
    assert.equal(new URL(plain).searchParams.get('tasks'), '3-9,4-10', `share-url after unticking: ${plain}`);

    assertNoPageErrors(page);
  });
});
