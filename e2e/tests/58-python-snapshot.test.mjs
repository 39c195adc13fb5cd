// The Python lab's second start restores a memory snapshot of CPython (loader.js): the
// results JSON says which start it was, restored interpreters (the lab's and a pool's
// children) draw their own random numbers, and a damaged snapshot means a plain start
// whose program still prints what CPython prints.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitFor } from '../lib.mjs';
import { cpythonOutput, encodeCode, programSource, waitForPyStatus } from './python-helpers.mjs';

const finished = ['done', 'error', 'stopped'];

/** The snapshot files in the origin's private file system: [[name, bytes], ...]. */
const snapshots = (page) =>
  page.evaluate(async () => {
    try {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pyodide-snapshots');
      const out = [];
      for await (const [name, handle] of dir.entries()) if (name.endsWith('.bin')) out.push([name, (await handle.getFile()).size]);
      return out;
    } catch {
      return [];
    }
  });

const waitForSnapshot = (page) =>
  waitFor(async () => ((await snapshots(page)).length === 1 ? snapshots(page) : null), { timeout: 90_000, message: 'a stored snapshot' });

async function run(app, path) {
  await app.goto(path);
  const json = await waitForPyStatus(app.page, finished, 120_000);
  assert.equal(json.status, 'done', json.stderr);
  return json;
}

const DRAW = 'import random\nprint(random.random())\n';
const POOL_DRAWS = `from concurrent.futures import ProcessPoolExecutor
import random


def draw(_):
    return random.random()


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as pool:
        print(len(set(pool.map(draw, range(8)))))
`;

test('the second start restores the snapshot, and every restored interpreter draws its own numbers', { timeout: 300_000 }, async () => {
  await withApp('/', async (app) => {
    const first = await run(app, '/python?preset=queue-pipeline&run=1');
    assert.equal(first.interpreterStart.kind, 'plain');
    assert.equal(first.stdout, cpythonOutput(programSource('queue-pipeline')));
    const [[name, size]] = await waitForSnapshot(app.page);
    assert.match(name, /^314\.0\.8-[0-9a-f]{16}-[0-9a-f]{16}\.bin$/);
    assert.ok(size > 16e6, `a snapshot of ${size} bytes`);

    const second = await run(app, '/python?preset=queue-pipeline&run=1');
    assert.equal(second.interpreterStart.kind, 'snapshot');
    assert.ok(second.interpreterStart.loadMs < first.interpreterStart.loadMs, JSON.stringify([first.interpreterStart, second.interpreterStart]));
    assert.equal(second.stdout, first.stdout);

    // Two interpreters restored from one snapshot do not share random's state.
    const a = await run(app, `/python?code=${encodeCode(DRAW)}&run=1`);
    const b = await run(app, `/python?code=${encodeCode(DRAW)}&run=1`);
    assert.equal(b.interpreterStart.kind, 'snapshot');
    assert.notEqual(a.stdout, b.stdout);
    // Nor do a pool's children, which restore it too: 8 draws, 8 numbers.
    const pool = await run(app, `/python?code=${encodeCode(POOL_DRAWS)}&run=1`);
    assert.equal(pool.stdout, '8\n');
    assert.equal(pool.pool.startups.length, 2);
  });
});

test('a damaged snapshot means a plain start, and the program still runs', { timeout: 300_000 }, async () => {
  await withApp('/', async (app) => {
    await run(app, '/python?preset=semaphore-2&run=1');
    await waitForSnapshot(app.page);
    // Flip bytes in the middle of the heap: the size and header still look right.
    await app.page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pyodide-snapshots');
      for await (const [name, handle] of dir.entries()) {
        if (!name.endsWith('.bin')) continue;
        const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
        for (let i = 0; i < 4096; i += 1) bytes[(bytes.length >> 1) + i] ^= 0xa5;
        const writable = await handle.createWritable();
        await writable.write(bytes);
        await writable.close();
      }
    });
    const json = await run(app, '/python?preset=semaphore-2&run=1');
    assert.equal(json.interpreterStart.kind, 'plain');
    assert.equal(json.stdout, cpythonOutput(programSource('semaphore-2')));
    // A new snapshot replaces it, and the next start restores that one.
    await waitForSnapshot(app.page);
    const next = await run(app, '/python?preset=semaphore-2&run=1');
    assert.equal(next.interpreterStart.kind, 'snapshot');
  });
});
