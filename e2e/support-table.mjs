// Prints the README's browser support table from what the engine tiers saw
// (target/browser-support/*.json, written by engines/suite.mjs on each run):
//   cd e2e && npm run test:engines && node support-table.mjs
import fs from 'node:fs';
import path from 'node:path';
import { SUPPORT_DIR } from './engines/suite.mjs';

const ORDER = ['chromium', 'firefox', 'webkit-sab', 'webkit'];
const NAMES = {
  chromium: 'Chromium (Debian), headless',
  firefox: 'Firefox ESR (Debian), headless',
  'webkit-sab': 'WebKitGTK (MiniBrowser) with `JSC_useSharedArrayBuffer=1`',
  webkit: 'WebKitGTK (MiniBrowser) as shipped',
};

function version(ua) {
  return (
    /HeadlessChrome\/(\d+)/.exec(ua)?.map((v, i) => (i ? `Chromium ${v}` : ''))[1] ??
    /Firefox\/(\d+)/.exec(ua)?.map((v, i) => (i ? `Firefox ${v}` : ''))[1] ??
    (/AppleWebKit\/([\d.]+)/.test(ua) ? `AppleWebKit ${/AppleWebKit\/([\d.]+)/.exec(ua)[1]}` : ua)
  );
}

const rows = [];
for (const engine of ORDER) {
  const file = path.join(SUPPORT_DIR, `${engine}.json`);
  if (!fs.existsSync(file)) continue;
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  const f = r.features;
  const seen = (prefix) => r.checked.find((c) => c.startsWith(prefix))?.split(': ').slice(1).join(': ') ?? 'not run';
  rows.push([
    `${NAMES[engine]} (${r.version ?? version(f.userAgent)})`,
    `isolated ${f.isolated ? 'yes' : 'no'}, SharedArrayBuffer ${f.sharedArrayBuffer ? 'yes' : 'no'}, JSPI ${f.jspi ? 'yes' : 'no'}`,
    seen('cpu run=1') === 'on workers' ? `on Web Workers (${r.cpuWorkers} in the CPU run)` : `on one thread: "${r.poolNotice}"`,
    seen('python queue-pipeline'),
    seen('python process-pool-small'),
    seen('python bank-lock'),
    seen('python Stop'),
  ]);
}
console.log('| Engine (as tried here) | What the page reports | Labs | Python: asyncio (`queue-pipeline`) | Python: process pool (`process-pool-small`) | Python: threads (`bank-lock`) | Python: Stop |');
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
