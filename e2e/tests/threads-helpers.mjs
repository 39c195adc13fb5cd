// Page helpers for the threads-lab tests (not a test file).

import { testId, waitFor, waitForStatus } from '../lib.mjs';

/** Wait until the threads lab has rendered its controls and knows whether it has workers. */
export async function waitForThreadsLab(page, timeout = 30_000) {
  await page.locator(testId('threads-source')).waitFor({ state: 'visible', timeout });
  await waitFor(async () => (await page.locator('main[data-pool]').getAttribute('data-pool')) !== 'starting', {
    timeout,
    message: 'the worker pool to start or be refused',
  });
}

/** A run=1 link's simulation: waits for status done and returns the results JSON. */
export const waitForSimulated = (page, timeout = 60_000) => waitForStatus(page, ['done'], timeout);

/** The lanes' visible window in nanoseconds, from the zoom bar. */
export async function lanesWindow(page) {
  const el = page.locator(testId('threads-window'));
  const start = Number(await el.getAttribute('data-start-ns'));
  const end = Number(await el.getAttribute('data-end-ns'));
  return { start, end, width: end - start };
}
