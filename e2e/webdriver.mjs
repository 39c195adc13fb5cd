// WebKitGTK for the browser tier: Playwright cannot drive Debian's MiniBrowser, so this is
// a small client of classic W3C WebDriver (JSON over HTTP) talking to WebKitWebDriver,
// which starts MiniBrowser under xvfb-run (MiniBrowser has no headless mode; without a
// display the new-session request hangs instead of failing).
//
//   const webkit = await startWebKit({ sharedArrayBuffer: true });
//   await webkit.goto(url); await webkit.eval(() => document.title); await webkit.close();
//
// Only 127.0.0.1. close() ends the session, the driver, the browser and the X server.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on at 127.0.0.1 now. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `fn` in a page through `evalIn(fn, ...args)` until it returns a truthy value, which
 * is returned; an error (a page between two documents) counts as "not yet".
 */
export async function pollPage(evalIn, fn, { timeout = 30_000, interval = 200, message = 'a condition', args = [] } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await evalIn(fn, ...args);
      if (last) return last;
    } catch (error) {
      last = error.message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${message} (last: ${JSON.stringify(last)?.slice(0, 500)})`);
    await sleep(interval);
  }
}

/** Whether this machine has what the WebKit tier needs (scripts/setup.sh installs it). */
export function webkitAvailable() {
  return fs.existsSync(WEBKIT_DRIVER) && fs.existsSync(MINIBROWSER) && fs.existsSync('/usr/bin/xvfb-run');
}

/**
 * Starts WebKitWebDriver and a MiniBrowser session.
 * @param {{ sharedArrayBuffer?: boolean, timeoutMs?: number }} options
 *   sharedArrayBuffer: set JSC_useSharedArrayBuffer=1, without which WebKitGTK 2.50 has no
 *   SharedArrayBuffer even in a cross-origin isolated page.
 */
export async function startWebKit({ sharedArrayBuffer = false, timeoutMs = 60_000 } = {}) {
  const port = await freePort();
  const env = { ...process.env };
  delete env.JSC_useSharedArrayBuffer;
  if (sharedArrayBuffer) env.JSC_useSharedArrayBuffer = '1';
  const driver = spawn('xvfb-run', ['-a', WEBKIT_DRIVER, `--port=${port}`, '--host=127.0.0.1'], {
    env,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let driverLog = '';
  driver.stderr.on('data', (chunk) => {
    driverLog = (driverLog + chunk).slice(-4000);
  });
  const base = `http://127.0.0.1:${port}`;
  let sessionId = null;
  let browserVersion = null;
  const kill = () => {
    try {
      process.kill(-driver.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };

  async function call(method, path, body, ms = timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    try {
      const response = await fetch(base + path, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      const json = await response.json().catch(() => ({}));
      if (!response.ok || json.value?.error) {
        const e = json.value ?? {};
        throw new Error(`WebDriver ${method} ${path}: ${e.error ?? response.status} ${e.message ?? ''}`.trim());
      }
      return json.value;
    } catch (error) {
      if (error.name === 'AbortError') throw new Error(`WebDriver ${method} ${path}: no answer within ${ms} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  try {
    const ready = Date.now() + 20_000;
    for (;;) {
      try {
        await call('GET', '/status', undefined, 2_000);
        break;
      } catch (error) {
        if (Date.now() > ready) throw new Error(`WebKitWebDriver did not start: ${error.message}\n${driverLog}`);
        await sleep(200);
      }
    }
    const session = await call('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
        },
      },
    });
    sessionId = session.sessionId;
    browserVersion = session.capabilities?.browserVersion ?? null;
  } catch (error) {
    kill();
    throw error;
  }

  const s = (path) => `/session/${sessionId}${path}`;
  const webkit = {
    /** WebKitGTK's version, as the new session reported it. */
    version: browserVersion ? `WebKitGTK ${browserVersion}` : null,
    /** Opens `url` and waits for its load event. */
    goto: (url) => call('POST', s('/url'), { url }),
    url: () => call('GET', s('/url')),
    /** Runs `fn(...args)` in the page (a function, sent as its source) and returns its JSON result. */
    eval: (fn, ...args) => call('POST', s('/execute/sync'), { script: `return (${fn}).apply(null, arguments);`, args }),
    /** Like eval, for a function returning a promise. */
    evalAsync: (fn, ...args) =>
      call('POST', s('/execute/async'), {
        script: `const done = arguments[arguments.length - 1]; Promise.resolve((${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1))).then((v) => done({ ok: v }), (e) => done({ error: String(e && e.message || e) }));`,
        args,
      }).then((r) => {
        if (r && 'error' in r) throw new Error(r.error);
        return r?.ok;
      }),
    /** Clicks the element matching `css` (a real click through the driver). */
    click: async (css) => {
      const found = await call('POST', s('/element'), { using: 'css selector', value: css });
      const id = Object.values(found)[0];
      await call('POST', s(`/element/${id}/click`), {});
    },
    /** Polls `fn` in the page until it returns a truthy value, which is returned. */
    waitFor: (fn, options) => pollPage(webkit.eval, fn, options),
    close: async () => {
      try {
        if (sessionId) await call('DELETE', s(''), undefined, 10_000);
      } catch {
        // the browser may be gone already
      } finally {
        kill();
      }
    },
  };
  return webkit;
}
