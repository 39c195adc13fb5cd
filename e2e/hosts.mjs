// Stand-ins for the static hosts people deploy dist/ to, for the deploy tests
// (tests/51-deploy-anywhere.test.mjs) and the README's Deploy section. Each answers the
// way its host does out of the box, and none sends headers of its own:
//
//   pages  GitHub Pages (project site): dist/ under a prefix such as /playground/; a
//          folder without its slash is a 301 to the slash (the query kept); a folder is
//          its index.html; anything else is the site's 404.html with status 404.
//   nginx  nginx with `try_files $uri $uri/ /index.html` (the usual single-page-app
//          setting): a file; a folder's index.html, and 403 Forbidden for a folder
//          without one; index.html for anything else.
//   plain  Caddy's file_server (and python3 -m http.server): a file; a folder's
//          index.html after the slash redirect; a plain 404 for anything else.
//   headers Netlify and Cloudflare Pages: as pages, and the headers dist/_headers names
//          for `/*` on every answer.
//
// 127.0.0.1 only; close() stops the server. Requests outside the prefix are a plain 404,
// so a test sees any URL the app builds from the origin's root instead of the site's.

import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { mimeTypeFor, DEFAULT_ROOT } from './server.mjs';

export const HOST_KINDS = Object.freeze(['pages', 'nginx', 'plain', 'headers']);

/** The headers a Netlify-style `_headers` file gives every path (`/*`). */
function headersFile(file) {
  const headers = {};
  let all = false;
  for (const line of (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').split('\n')) {
    if (/^\S/.test(line)) all = line.trim() === '/*';
    else if (all && line.includes(':')) {
      const [name, ...value] = line.trim().split(':');
      headers[name.trim()] = value.join(':').trim();
    }
  }
  return headers;
}

/**
 * @param {{ kind: 'pages'|'nginx'|'plain', root?: string, prefix?: string, log?: (line: string) => void }} options
 * @returns {Promise<{ url: string, siteUrl: string, requests: string[], close: () => Promise<void> }>}
 */
export async function startHost({ kind, root = DEFAULT_ROOT, prefix = '/', log = null }) {
  if (!HOST_KINDS.includes(kind)) throw new Error(`startHost: unknown kind ${kind}`);
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`startHost: prefix ${prefix} must start and end with /`);
  const realRoot = await fsp.realpath(root);
  const requests = [];
  const fromFile = kind === 'headers' ? headersFile(path.join(realRoot, '_headers')) : {};

  const send = (res, status, body, type = 'text/plain; charset=utf-8', extra = {}) => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    res.writeHead(status, { ...fromFile, 'Content-Type': type, 'Content-Length': bytes.length, 'Cache-Control': 'no-store', ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : bytes);
  };
  const sendFile = async (res, file, status = 200) => send(res, status, await fsp.readFile(file), mimeTypeFor(file));
  const stat = (file) => fsp.stat(file).catch(() => null);

  const server = http.createServer(async (req, res) => {
    requests.push(req.url);
    res.on('finish', () => log?.(`${kind} ${req.method} ${req.url} -> ${res.statusCode}`));
    try {
      const url = new URL(req.url, 'http://host');
      let pathname;
      try {
        pathname = decodeURIComponent(url.pathname);
      } catch {
        return send(res, 400, 'Bad Request');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed');
      const inside = pathname === prefix.slice(0, -1) ? '' : pathname.startsWith(prefix) ? pathname.slice(prefix.length) : null;
      if (inside === null || inside.split('/').includes('..') || pathname.includes('\0')) return send(res, 404, 'Not Found');
      const target = path.join(realRoot, inside);
      if (target !== realRoot && !target.startsWith(realRoot + path.sep)) return send(res, 404, 'Not Found');
      const found = await stat(target);
      if (found?.isFile()) return sendFile(res, target);
      if (found?.isDirectory()) {
        const index = path.join(target, 'index.html');
        const hasIndex = (await stat(index))?.isFile();
        if (kind === 'nginx') return hasIndex ? sendFile(res, index) : send(res, 403, '403 Forbidden');
        if (!pathname.endsWith('/')) {
          return send(res, 301, 'Moved Permanently', 'text/plain; charset=utf-8', { Location: `${url.pathname}/${url.search}` });
        }
        if (hasIndex) return sendFile(res, index);
      }
      if (kind === 'nginx') return sendFile(res, path.join(realRoot, 'index.html'));
      if (kind === 'pages' || kind === 'headers') {
        const notFound = path.join(realRoot, '404.html');
        if ((await stat(notFound))?.isFile()) return sendFile(res, notFound, 404);
      }
      return send(res, 404, 'Not Found');
    } catch (error) {
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
      log?.(`${kind}: ${error?.stack ?? error}`);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  let closing = null;
  return {
    url,
    siteUrl: `${url}${prefix}`,
    requests,
    close: () =>
      (closing ??= new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      })),
  };
}

// node hosts.mjs KIND [PREFIX]: serve dist/ as that host would, to try the app by hand.
if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url).pathname)) {
  const [kind = 'pages', prefix = '/playground/'] = process.argv.slice(2);
  const host = await startHost({ kind, prefix, log: (line) => console.error(line) });
  console.log(host.siteUrl);
}
