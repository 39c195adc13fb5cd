// Helpers for the Python-lab tests (not a test file: node --test only runs *.test.mjs).

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testId, waitFor } from '../lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PROGRAMS_DIR = path.resolve(HERE, '..', '..', 'src', 'labs', 'python', 'programs');

/** The python the expected outputs come from: CPython 3.11 from pyenv if present, else python3. */
export const PYTHON = (() => {
  const versions = path.join(process.env.HOME || '/root', '.pyenv', 'versions');
  try {
    const v311 = fs.readdirSync(versions).filter((v) => /^3\.11(\.|$)/.test(v)).sort().pop();
    if (v311) return path.join(versions, v311, 'bin', 'python3');
  } catch {
    // no pyenv here
  }
  return 'python3';
})();

/** CPython 3.13 from pyenv if present, else python3: the threads' switching is 3.10+'s. */
export const PYTHON_313 = (() => {
  const versions = path.join(process.env.HOME || '/root', '.pyenv', 'versions');
  try {
    const v313 = fs.readdirSync(versions).filter((v) => /^3\.13\.\d+$/.test(v)).sort().pop();
    if (v313) return path.join(versions, v313, 'bin', 'python3');
  } catch {
    // no pyenv here
  }
  return 'python3';
})();

export const programSource = (id) => fs.readFileSync(path.join(PROGRAMS_DIR, `${id}.py`), 'utf8');

/** What CPython prints for a program's source (stdout only), with timings masked. */
export function cpythonOutput(source, python = PYTHON) {
  return execFileSync(python, ['-'], { input: source, encoding: 'utf8', timeout: 120_000 });
}

/** Timings differ from run to run and machine to machine: "0.83 s" and "1.3e-06 s" become "<t> s". */
export const maskTimes = (text) => text.replace(/\d+(?:\.\d+)?(?:e[-+]?\d+)? s\b/g, '<t> s');

/** A program as the lab's `code` parameter: raw DEFLATE, then base64url without padding. */
export const encodeCode = (source) => zlib.deflateRawSync(Buffer.from(source, 'utf8')).toString('base64url');

/** Waits until CPython has loaded in the page. */
export async function waitForPython(page, timeout = 60_000) {
  await page.locator(testId('py-ready')).waitFor({ state: 'visible', timeout });
}

/** The results JSON's status, polled until it is `status`. */
export async function waitForPyStatus(page, statuses, timeout = 60_000) {
  const wanted = [statuses].flat();
  return waitFor(
    async () => {
      const json = JSON.parse(await page.locator(testId('results-json')).textContent());
      return wanted.includes(json.status) ? json : null;
    },
    { timeout, message: `Python lab status ${wanted.join('|')}` },
  );
}

/** Clicks a run button and waits for that run's results: a new finished document (a short
 *  run can end before a poll sees it running). */
export async function runAndWait(page, button = 'py-run', timeout = 90_000) {
  const before = await page.locator(testId('results-json')).textContent();
  await page.locator(testId(button)).click();
  return waitFor(
    async () => {
      const text = await page.locator(testId('results-json')).textContent();
      const json = JSON.parse(text);
      return text !== before && ['done', 'error', 'stopped'].includes(json.status) ? json : null;
    },
    { timeout, message: `a new result after ${button}` },
  );
}
