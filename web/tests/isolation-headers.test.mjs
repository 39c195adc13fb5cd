// The cross-origin isolation headers have one source, web/isolation-headers.json: build.mjs
// writes dist/_headers and sw.js from it and e2e/server.mjs reads it. Trunk.toml cannot
// read JSON, so its [serve.headers] copy is checked here.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(WEB, '..');
const HEADERS = JSON.parse(fs.readFileSync(path.join(WEB, 'isolation-headers.json'), 'utf8'));

/** A TOML table's `"key" = "value"` lines (all [serve.headers] holds). */
function tomlTable(text, name) {
  const out = {};
  let inside = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line.startsWith('[')) {
      inside = line === `[${name}]`;
      continue;
    }
    if (!inside || line === '' || line.startsWith('#')) continue;
    const match = /^"?([^"=]+?)"?\s*=\s*"([^"]*)"$/.exec(line);
    assert.ok(match, `${name}: cannot read ${JSON.stringify(raw)}`);
    out[match[1]] = match[2];
  }
  return out;
}

test('the source names the three headers threads need', () => {
  assert.deepEqual(HEADERS, {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  });
});

test("Trunk.toml's [serve.headers] are the same headers", () => {
  const toml = fs.readFileSync(path.join(ROOT, 'Trunk.toml'), 'utf8');
  assert.deepEqual(tomlTable(toml, 'serve.headers'), HEADERS);
});

test('e2e/server.mjs serves the same headers', async () => {
  const server = await import(path.join(ROOT, 'e2e', 'server.mjs'));
  assert.deepEqual({ ...server.ISOLATION_HEADERS }, HEADERS);
});

test('sw.js and build.mjs take the headers from the source, and no copy is left', () => {
  const sw = fs.readFileSync(path.join(WEB, 'sw', 'sw.js'), 'utf8');
  assert.match(sw, /const ISOLATION = __ISOLATION_HEADERS__;/);
  const build = fs.readFileSync(path.join(WEB, 'build.mjs'), 'utf8');
  assert.match(build, /isolation-headers\.json/);
  assert.match(build, /'__ISOLATION_HEADERS__'/);
  assert.ok(!fs.existsSync(path.join(ROOT, 'www', '_headers')), 'www/_headers is written by build.mjs now');
  assert.doesNotMatch(fs.readFileSync(path.join(ROOT, 'index.html'), 'utf8'), /_headers/);
  for (const file of [sw, build, fs.readFileSync(path.join(ROOT, 'e2e', 'server.mjs'), 'utf8')]) {
    assert.doesNotMatch(file, /['"]require-corp['"]/, 'a copy of the values');
  }
});
