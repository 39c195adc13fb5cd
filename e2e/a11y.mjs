// Accessibility checks shared by the tests: axe-core (pinned in package.json) against
// WCAG 2.2 AA, and the pages with the run each one is checked after.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { testId, waitForStatus } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The rule sets of WCAG 2.2 level A and AA (axe tags every rule with the levels it tests). */
export const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/**
 * axe's violations on the page as it is now, serious and critical only, each as
 * "rule: target (summary)" lines for a readable assertion message.
 */
export async function seriousViolations(page) {
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG_AA,
  );
  const lines = [];
  for (const v of results.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    for (const node of v.nodes) {
      lines.push(`${v.id} (${v.impact}): ${node.target.join(' ')} — ${(node.failureSummary || '').split('\n').slice(1, 2).join(' ').trim()}`);
    }
  }
  return lines;
}

/**
 * Every page, the link that opens it idle, and the run it is checked after: a link with
 * run=1 and what says that run is over.
 */
export const PAGES = Object.freeze([
  { id: 'home', idle: '/', run: null },
  {
    id: 'race',
    idle: '/race',
    run: {
      link: '/race?preset=bank&mode=exhaustive&run=1',
      // The count, then the stepper run to its end: its lanes, chips and outcome.
      done: async (page) => {
        const json = await waitForStatus(page, ['done'], 60_000);
        await page.locator(testId('run')).click();
        await page.locator(testId('race-outcome')).waitFor({ timeout: 10_000 });
        return json;
      },
    },
  },
  {
    id: 'threads',
    idle: '/threads',
    run: { link: '/threads?preset=convoy&run=1', done: (page) => waitForStatus(page, ['done'], 90_000) },
  },
  {
    id: 'cpu',
    idle: '/cpu',
    run: { link: '/cpu?mode=parallel&k=2&iters=1000&tasks=2-38,5-50,68-83,14-57&run=1', done: (page) => waitForStatus(page, ['done'], 60_000) },
  },
  {
    id: 'async',
    idle: '/async',
    run: { link: '/async?net=sim&n=4&lat=200&jitter=0&seed=1&mode=gather&k=2&run=1', done: (page) => waitForStatus(page, ['done'], 60_000) },
  },
  {
    id: 'python',
    idle: '/python',
    run: {
      link: '/python?preset=gather-pitfall&run=1',
      done: (page) => waitForStatus(page, ['done'], 120_000),
    },
    // Threads draw lanes of their own, with the threads lab's patterns.
    also: {
      link: '/python?preset=two-cpu-threads&run=1',
      done: (page) => waitForStatus(page, ['done'], 120_000),
    },
  },
]);

export const VIEWPORTS = Object.freeze({ laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } });
