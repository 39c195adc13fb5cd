import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';

// Each line number sits beside its line, also when the editor was made or given a new
// program while out of view (CodeMirror then measures nothing, and a full-page capture
// showed the numbers 14 px apart beside 18.85 px lines).
async function drift(page) {
  return page.evaluate(() => {
    const numbers = [...document.querySelectorAll('.cm-lineNumbers .cm-gutterElement')]
      .filter((el) => el.style.visibility !== 'hidden' && /^\d+$/.test(el.textContent.trim()));
    const lines = [...document.querySelectorAll('.cm-content .cm-line')];
    let worst = 0;
    for (const number of numbers) {
      const line = lines[Number(number.textContent.trim()) - 1];
      if (!line) continue;
      worst = Math.max(worst, Math.abs(number.getBoundingClientRect().top - line.getBoundingClientRect().top));
    }
    return { worst, numbers: numbers.length };
  });
}

test('the Python editor keeps its line numbers beside their lines, in view or not', { timeout: 120_000 }, async () => {
  // A phone-sized window opens the editor below the fold.
  await withApp('/python', { viewport: { width: 390, height: 640 } }, async ({ page }) => {
    await page.locator(testId('editor-content')).waitFor({ state: 'attached', timeout: 60_000 });
    const inView = await page.evaluate(() => {
      const r = document.querySelector('.cm-editor').getBoundingClientRect();
      return r.top < innerHeight && r.bottom > 0;
    });
    assert.equal(inView, false, 'the test needs the editor out of view');
    let d = await drift(page);
    assert.ok(d.numbers > 5, `line numbers drawn: ${d.numbers}`);
    assert.ok(d.worst < 1.5, `line numbers drift ${d.worst.toFixed(1)} px from their lines`);
    // A preset loaded while the editor is out of view.
    await page.locator(testId('preset-queue-pipeline')).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    d = await drift(page);
    assert.ok(d.worst < 1.5, `after a new program: line numbers drift ${d.worst.toFixed(1)} px`);
  });
});
