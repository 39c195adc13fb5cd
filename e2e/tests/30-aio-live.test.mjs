import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, sleep, assertNoPageErrors } from '../lib.mjs';
import { assertRequestsRun, waitForAioLab, CLASSIC_IDS } from './aio-helpers.mjs';

// Nothing leaves the machine: the test answers the app's requests itself.
const ANILIST = 'https://graphql.anilist.co/';
const FAKE_DELAY_MS = 150;
const SERVER_ERROR_ID = 628;
const BAD_JSON_ID = 826;

// A cross-origin answer must pass CORS, and CORP for the page's COEP: require-corp.
const CROSS_ORIGIN = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
});

async function answerPreflight(route) {
  await route.fulfill({
    status: 204,
    headers: {
      ...CROSS_ORIGIN,
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'content-type, accept',
      'Access-Control-Max-Age': '600',
    },
  });
}

/**
 * A fake AniList: "Anime <id>" as the English title for even ids (with a romaji title
 * the app must not prefer), as the romaji title for odd ones (english null), HTTP 500
 * for one id and a cut-off JSON body for another. Records what it was asked.
 */
function fakeAniList(seen) {
  return async (route) => {
    const request = route.request();
    if (request.method() === 'OPTIONS') return answerPreflight(route);
    const body = request.postDataJSON();
    const id = body?.variables?.id;
    seen.push({ method: request.method(), id, query: body?.query, contentType: request.headers()['content-type'] });
    await sleep(FAKE_DELAY_MS);
    if (id === SERVER_ERROR_ID) {
      return route.fulfill({ status: 500, headers: CROSS_ORIGIN, contentType: 'text/plain', body: 'internal error' });
    }
    if (id === BAD_JSON_ID) {
      return route.fulfill({ status: 200, headers: CROSS_ORIGIN, contentType: 'application/json', body: '{"data": {"Media": ' });
    }
    const title =
      id % 2 === 0
        ? { english: `Anime ${id}`, romaji: `Romaji ${id}`, native: `ネイティブ ${id}` }
        : { english: null, romaji: `Anime ${id}`, native: `ネイティブ ${id}` };
    return route.fulfill({
      status: 200,
      headers: CROSS_ORIGIN,
      contentType: 'application/json',
      body: JSON.stringify({ data: { Media: { id, title } } }),
    });
  };
}

test('live mode against a fake AniList: titles, an HTTP 500 and bad JSON', { timeout: 90_000 }, async () => {
  await withApp('/async', async (app) => {
    const { page } = app;
    await waitForAioLab(page);
    const seen = [];
    await page.route(`${ANILIST}**`, fakeAniList(seen));
    await app.goto('/async?net=live&n=15&mode=gather&k=5&run=1');
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = JSON.stringify(json);
    const requests = assertRequestsRun(json, { n: 15, mode: 'gather', network: 'live' });

    // The app asked for each classic id once, as a GraphQL POST.
    assert.deepEqual(seen.map((s) => s.id).sort((a, b) => a - b), [...CLASSIC_IDS].sort((a, b) => a - b), `ids asked for: ${JSON.stringify(seen)}`);
    for (const s of seen) {
      assert.equal(s.method, 'POST', `method: ${JSON.stringify(s)}`);
      assert.match(s.contentType ?? '', /application\/json/, `content-type: ${JSON.stringify(s)}`);
      assert.match(s.query ?? '', /Media\(id: \$id, type: ANIME\)/, `GraphQL query: ${JSON.stringify(s)}`);
    }

    assert.equal(json.done, 13, `done: ${dump}`);
    assert.equal(json.failed, 2, `failed: ${dump}`);
    for (const r of requests) {
      const where = `request ${r.index} (id ${r.id}): ${JSON.stringify(r)}`;
      if (r.id === SERVER_ERROR_ID) {
        assert.equal(r.phase, 'failed', where);
        assert.match(r.detail ?? '', /HTTP 500/, where);
      } else if (r.id === BAD_JSON_ID) {
        assert.equal(r.phase, 'failed', where);
        assert.match(r.detail ?? '', /JSON/i, where);
      } else {
        assert.equal(r.phase, 'done', where);
        assert.equal(r.detail, `Anime ${r.id}`, where);
        assert.ok(r.endMs - r.startMs >= FAKE_DELAY_MS - 20, `${where}: answered faster than the fake server's delay`);
      }
    }
    assert.ok(json.maxInFlight <= 5, `maxInFlight ${json.maxInFlight} > the semaphore's 5: ${dump}`);
    assertNoPageErrors(page);
  });
});

test('live mode with a URL template: one GET per id, an HTTP 404 fails', { timeout: 90_000 }, async () => {
  await withApp('/async', async (app) => {
    const { page } = app;
    await waitForAioLab(page);
    const seen = [];
    await page.route('http://example.test/**', async (route) => {
      const request = route.request();
      if (request.method() === 'OPTIONS') return answerPreflight(route);
      const url = new URL(request.url());
      seen.push(`${request.method()} ${url.pathname}`);
      await sleep(FAKE_DELAY_MS);
      const m = /^\/item\/(\d+)$/.exec(url.pathname);
      if (!m || m[1] === '300') {
        return route.fulfill({ status: 404, headers: CROSS_ORIGIN, contentType: 'text/plain', body: 'not found' });
      }
      return route.fulfill({ status: 200, headers: CROSS_ORIGIN, contentType: 'text/plain', body: `item ${m[1]}` });
    });
    const template = encodeURIComponent('http://example.test/item/{id}');
    await app.goto(`/async?net=live&n=5&mode=gather&k=0&url=${template}&run=1`);
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = JSON.stringify(json);
    const requests = assertRequestsRun(json, { n: 5, mode: 'gather', network: 'live' });

    assert.deepEqual([...seen].sort(), ['GET /item/100', 'GET /item/200', 'GET /item/300', 'GET /item/400', 'GET /item/700'], 'requests made');
    assert.equal(json.done, 4, `done: ${dump}`);
    assert.equal(json.failed, 1, `failed: ${dump}`);
    for (const r of requests) {
      const where = `request ${r.index} (id ${r.id}): ${JSON.stringify(r)}`;
      if (r.id === 300) {
        assert.equal(r.phase, 'failed', where);
        assert.match(r.detail ?? '', /HTTP 404/, where);
      } else {
        assert.equal(r.phase, 'done', where);
        assert.match(r.detail ?? '', /HTTP 200/, where);
        assert.match(r.detail ?? '', new RegExp(`\\b${`item ${r.id}`.length} bytes`), where);
      }
    }
    assert.equal(new URL(page.url()).searchParams.get('url'), 'http://example.test/item/{id}', `address bar: ${page.url()}`);
    assertNoPageErrors(page);
  });
});
