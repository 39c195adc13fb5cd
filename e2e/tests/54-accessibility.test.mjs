import test from 'node:test';
import assert from 'node:assert/strict';
import { openApp, launch, assertNoPageErrors, testId } from '../lib.mjs';
import { PAGES, VIEWPORTS, seriousViolations } from '../a11y.mjs';

// WCAG 2.2 AA by axe-core: every page, before and after a run, light and dark, at a
// laptop's width and a phone's. Also: a title per page, a status sentence after each run
// (in the accessibility tree), and no live region that reads out a run's whole results.
test('axe finds nothing serious on any page, idle or after a run, light or dark, laptop or phone', { timeout: 900_000 }, async () => {
  const browser = await launch();
  const titles = new Map();
  const problems = [];
  try {
    for (const p of PAGES) {
      for (const [width, viewport] of Object.entries(VIEWPORTS)) {
        for (const colorScheme of ['light', 'dark']) {
          for (const phase of ['idle', ...(p.run ? ['run'] : []), ...(p.also ? ['also'] : [])]) {
            const app = await openApp(phase === 'idle' ? p.idle : p[phase].link, { browser, viewport, colorScheme });
            try {
              const page = app.page;
              if (phase !== 'idle') {
                await p[phase].done(page);
              } else {
                await page.locator('main h1').first().waitFor({ timeout: 60_000 });
              }
              const where = `${p.id} ${width} ${colorScheme} ${phase}`;
              for (const line of await seriousViolations(page)) problems.push(`${where}: ${line}`);
              if (phase === 'idle') titles.set(p.id, await page.title());
              if (phase === 'run' && width === 'laptop' && colorScheme === 'light') {
                // The status sentence is in the accessibility tree as a status.
                const tree = await page.locator('main').ariaSnapshot();
                assert.match(tree, /- status: "?(Done|Counted|Simulated|Finished|Final)[^\n]*\./, `${where}: no status sentence in\n${tree.slice(0, 2000)}`);
                // Live regions stay short: a run's results are read when asked for.
                const live = await page.evaluate(() =>
                  [...document.querySelectorAll('[aria-live], [role=status], [role=alert], [role=log]')].map((el) => el.textContent.length),
                );
                assert.ok(live.every((n) => n < 400), `${where}: a live region holds ${Math.max(...live)} characters`);
              }
              assertNoPageErrors(page);
            } finally {
              await app.close();
            }
          }
        }
      }
    }
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, [], `axe (WCAG 2.2 AA, serious and critical):\n${problems.join('\n')}`);
  const distinct = new Set(titles.values());
  assert.equal(distinct.size, titles.size, `every page has its own title: ${JSON.stringify([...titles])}`);
  for (const [id, title] of titles) {
    if (id !== 'home') assert.match(title, new RegExp(id === 'async' ? 'Async' : id, 'i'), `the ${id} page's title: ${title}`);
  }
});

test('the heartbeat stands still for those who ask for less motion', { timeout: 60_000 }, async () => {
  const app = await openApp('/cpu', { contextOptions: { reducedMotion: 'reduce' } });
  try {
    const { page } = app;
    const track = page.locator(testId('heartbeat'));
    await track.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=heartbeat]').dataset.frames) > 10);
    const transform = await page.locator('.heartbeat-dot').evaluate((el) => getComputedStyle(el).transform);
    assert.equal(transform, 'none', 'the dot moves under prefers-reduced-motion');
  } finally {
    await app.close();
  }
});
