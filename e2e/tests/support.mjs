// Assertions shared by the CPU-lab tests (not a test file itself: node --test
// only picks up *.test.mjs here).

import assert from 'node:assert/strict';
import { isFiniteNumber } from '../lib.mjs';

/** CPython's results for the first four classic tasks, by iteration count. */
export const CPYTHON_RESULTS = Object.freeze({
  2_000_000: ['1481646940', '580377468', '1601276774', '1844541556'],
  1000: ['1187892022', '233359746', '1591852310', '1865639156'],
});

export const FOUR_TASKS = '2-38,5-50,68-83,14-57';
export const FOUR_TASK_RANGES = Object.freeze([
  [2, 38],
  [5, 50],
  [68, 83],
  [14, 57],
]);

/** Tasks of a results JSON sorted by their index (the order they were given in). */
export function tasksInOrder(json) {
  assert.ok(Array.isArray(json.tasks), `results JSON has no tasks array: ${JSON.stringify(json)}`);
  return [...json.tasks].sort((a, b) => a.index - b.index);
}

/**
 * Check a finished CPU-lab run against the results JSON contract.
 *   expect.mode, expect.iterations: config echoed back
 *   expect.ranges:  [[start, end], ...] in task order
 *   expect.results: result strings in task order
 *   expect.workers: allowed worker ids (default: 0 .. json.workers-1)
 */
export function assertCpuRun(json, expect) {
  const dump = JSON.stringify(json);
  assert.equal(json.lab, 'cpu', `lab: ${dump}`);
  assert.equal(json.status, 'done', `status: ${dump}`);
  assert.equal(json.error ?? null, null, `error set on a finished run: ${dump}`);
  if (expect.mode !== undefined) assert.equal(json.mode, expect.mode, `mode: ${dump}`);
  if (expect.iterations !== undefined) assert.equal(json.iterations, expect.iterations, `iterations: ${dump}`);

  const n = expect.ranges?.length ?? expect.results?.length;
  if (n !== undefined) {
    assert.equal(json.tasks.length, n, `tasks.length: ${dump}`);
    assert.equal(json.total, n, `total: ${dump}`);
    assert.equal(json.done, n, `done: ${dump}`);
  }
  const tasks = tasksInOrder(json);
  assert.deepEqual(
    tasks.map((t) => t.index),
    tasks.map((_, i) => i),
    `task indices are not 0..n-1: ${dump}`,
  );
  if (expect.ranges) {
    assert.deepEqual(
      tasks.map((t) => [t.start, t.end]),
      expect.ranges.map((r) => [...r]),
      `task ranges: ${dump}`,
    );
  }
  if (expect.results) {
    assert.deepEqual(
      tasks.map((t) => t.result),
      [...expect.results],
      `results differ from CPython's (iterations=${json.iterations}, mode=${json.mode}): ` +
        `got ${JSON.stringify(tasks.map((t) => t.result))}, want ${JSON.stringify(expect.results)}`,
    );
  }
  const allowedWorkers =
    expect.workers ?? (Number.isInteger(json.workers) ? [...Array(Math.max(json.workers, 1)).keys()] : null);
  for (const t of tasks) {
    const where = `task ${t.index} ${JSON.stringify(t)}`;
    assert.equal(typeof t.result, 'string', `${where}: result is not a string`);
    assert.ok(isFiniteNumber(t.startMs), `${where}: startMs is not a number`);
    assert.ok(isFiniteNumber(t.endMs), `${where}: endMs is not a number`);
    assert.ok(t.startMs <= t.endMs, `${where}: startMs > endMs`);
    assert.ok(Number.isInteger(t.worker), `${where}: worker is not an integer`);
    if (allowedWorkers) {
      assert.ok(allowedWorkers.includes(t.worker), `${where}: worker not in {${allowedWorkers.join(',')}}`);
    }
  }
  assert.ok(isFiniteNumber(json.wallMs) && json.wallMs > 0, `wallMs must be > 0: ${dump}`);
  return tasks;
}

/** Assert that the page's current URL still carries the given query parameters. */
export function assertUrlKeeps(pageUrl, params) {
  const search = new URL(pageUrl).searchParams;
  for (const [key, value] of Object.entries(params)) {
    assert.equal(search.get(key), String(value), `URL lost ${key}=${value} after the run: ${pageUrl}`);
  }
}
