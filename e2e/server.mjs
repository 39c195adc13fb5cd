// Minimal static file server for the built Concurrency Playground (dist/).
//
// - node:http only, no dependencies.
// - Binds to 127.0.0.1; the port is ephemeral unless one is asked for.
// - Cross-origin isolation headers (COOP/COEP/CORP) on every response when
//   `isolated` is true, none at all when it is false. SharedArrayBuffer and
//   hence the wasm thread pool only exist in a cross-origin isolated page.
// - FILE.br or FILE.gz instead of FILE when the request accepts it and the build wrote one.
// - SPA fallback: an unknown path whose last segment has no extension gets
//   index.html, so client-side routes (/cpu, /race, /async) survive a reload.
//
// Library use:  const { url, close } = await startServer({ root, isolated });
// CLI use:      node server.mjs [--port 8080] [--no-isolation] [--root DIR]

import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The app's build output: <repo>/dist, i.e. ../dist seen from this file. */
export const DEFAULT_ROOT = path.resolve(HERE, '..', 'dist');

export const MIME_TYPES = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
});

// The build's own list (web/isolation-headers.json; dist/_headers and sw.js are written
// from it). CORP is cross-origin, not same-origin: other sites' pages may frame the app
// (embed=1), and an isolated page can frame only documents that allow it.
export const ISOLATION_HEADERS = Object.freeze(
  JSON.parse(fs.readFileSync(path.join(HERE, '..', 'web', 'isolation-headers.json'), 'utf8')),
);

export function mimeTypeFor(filePath) {
  return MIME_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

function isInside(root, candidate) {
  return candidate === root || candidate.startsWith(root + path.sep);
}

/**
 * Map a request path to a file under `root`. Returns
 *   { kind: 'file', file, stat } | { kind: 'fallback' } | { kind: 'missing' } | { kind: 'forbidden' } | { kind: 'bad' }
 */
async function resolveRequest(realRoot, rawPathname) {
  let pathname;
  try {
    pathname = decodeURIComponent(rawPathname);
  } catch {
    return { kind: 'bad' };
  }
  // Reject NUL bytes, backslashes (Windows-style separators) and any ".." segment
  // outright instead of trying to normalise them away.
  if (pathname.includes('\0') || pathname.includes('\\')) return { kind: 'forbidden' };
  const segments = pathname.split('/');
  if (segments.some((s) => s === '..')) return { kind: 'forbidden' };

  const candidate = path.resolve(realRoot, '.' + path.posix.normalize('/' + pathname));
  if (!isInside(realRoot, candidate)) return { kind: 'forbidden' };

  let target = candidate;
  let stat = await fsp.stat(target).catch(() => null);
  if (stat?.isDirectory()) {
    target = path.join(target, 'index.html');
    stat = await fsp.stat(target).catch(() => null);
  }
  if (stat?.isFile()) {
    // Symlinks must not lead out of the root either.
    const real = await fsp.realpath(target).catch(() => null);
    if (!real || !isInside(realRoot, real)) return { kind: 'forbidden' };
    return { kind: 'file', file: real, stat };
  }
  const last = segments[segments.length - 1];
  if (path.extname(last) === '') return { kind: 'fallback' };
  return { kind: 'missing' };
}

/**
 * Start the static server.
 * @param {{ root?: string, isolated?: boolean, port?: number, host?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<{ url: string, port: number, root: string, isolated: boolean, close: () => Promise<void> }>}
 */
export async function startServer({
  root = DEFAULT_ROOT,
  isolated = true,
  port = 0,
  host = '127.0.0.1',
  log = null,
  caching = false,
} = {}) {
  const absRoot = path.resolve(root);
  const rootStat = await fsp.stat(absRoot).catch(() => null);
  if (!rootStat?.isDirectory()) {
    throw new Error(`startServer: root ${absRoot} is not a directory (has the app been built?)`);
  }
  const realRoot = await fsp.realpath(absRoot);
  const indexFile = path.join(realRoot, 'index.html');

  // Tests want every visit fresh (no-store). `caching: true` (the load benchmark's warm
  // visits) answers as a static host would: hashed files for good, the rest revalidated.
  const cacheControl = (file) => {
    if (!caching) return 'no-store';
    return /-[0-9a-f]{8,16}(_bg)?\.(js|wasm|css|svg)$|\/pyodide\/\d|-[A-Z0-9]{8}\.js$/.test(file ?? '') ? 'public, max-age=31536000, immutable' : 'no-cache';
  };
  const baseHeaders = (file) => ({
    'Cache-Control': cacheControl(file),
    'X-Content-Type-Options': 'nosniff',
    ...(isolated ? ISOLATION_HEADERS : {}),
  });

  const sendText = (res, status, text, extra = {}) => {
    const body = Buffer.from(text + '\n', 'utf8');
    res.writeHead(status, {
      ...baseHeaders(),
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': body.length,
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };

  // Precompressed files (FILE.br, FILE.gz, written by release builds) are served as a
  // host that supports them would, so tests and benchmarks see real transfer sizes.
  const precompressed = (req, file) => {
    const accepted = String(req.headers['accept-encoding'] ?? '');
    for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']]) {
      if (!new RegExp(`\\b${encoding}\\b`).test(accepted)) continue;
      try {
        const stat = fs.statSync(file + suffix);
        if (stat.isFile()) return { encoding, file: file + suffix, stat };
      } catch {
        // not there: try the next, or send the file itself
      }
    }
    return null;
  };

  const sendFile = (res, file, stat) => {
    const packed = precompressed(res.req, file);
    res.writeHead(200, {
      ...baseHeaders(file),
      'Content-Type': mimeTypeFor(file),
      'Content-Length': packed ? packed.stat.size : stat.size,
      Vary: 'Accept-Encoding',
      ...(packed ? { 'Content-Encoding': packed.encoding } : {}),
    });
    if (res.req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = fs.createReadStream(packed ? packed.file : file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const server = http.createServer(async (req, res) => {
    const started = Date.now();
    res.on('finish', () => log?.(`${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - started} ms)`));
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
        return;
      }
      let pathname;
      try {
        pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      } catch {
        sendText(res, 400, 'Bad Request');
        return;
      }
      // The raw request target is checked too: URL parsing folds "/a/../b" into
      // "/b", and such a request is suspicious whatever it resolves to.
      const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0];
      if (/(^|\/|%2f|\\|%5c)(\.|%2e){2}(\/|%2f|\\|%5c|$)/i.test(rawPath)) {
        sendText(res, 403, 'Forbidden');
        return;
      }
      const found = await resolveRequest(realRoot, pathname);
      switch (found.kind) {
        case 'file':
          sendFile(res, found.file, found.stat);
          return;
        case 'fallback': {
          const stat = await fsp.stat(indexFile).catch(() => null);
          if (!stat?.isFile()) {
            sendText(res, 404, 'Not Found (no index.html in root)');
            return;
          }
          sendFile(res, indexFile, stat);
          return;
        }
        case 'forbidden':
          sendText(res, 403, 'Forbidden');
          return;
        case 'bad':
          sendText(res, 400, 'Bad Request');
          return;
        default:
          sendText(res, 404, 'Not Found');
      }
    } catch (err) {
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy();
      log?.(`error serving ${req.url}: ${err?.stack ?? err}`);
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address();
  const url = `http://${host}:${address.port}`;
  let closing = null;
  const close = () => {
    closing ??= new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
    return closing;
  };
  return { url, port: address.port, root: realRoot, isolated, close };
}

function parseCliArgs(argv) {
  const opts = { port: 0, isolated: true, root: DEFAULT_ROOT, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new Error(`${name} needs a value`);
      return argv[++i];
    };
    switch (name) {
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`bad --port ${v}`);
        opts.port = Number(v);
        break;
      }
      case '--root':
        opts.root = path.resolve(value());
        break;
      case '--no-isolation':
        opts.isolated = false;
        break;
      case '--verbose':
      case '-v':
        opts.verbose = true;
        break;
      case '--help':
      case '-h':
        opts.help = true;
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`server.mjs: ${err.message}`);
    console.error('usage: node server.mjs [--port PORT] [--no-isolation] [--root DIR] [--verbose]');
    process.exit(2);
  }
  if (opts.help) {
    console.log('usage: node server.mjs [--port PORT] [--no-isolation] [--root DIR] [--verbose]');
    console.log(`  serves ${DEFAULT_ROOT} (or --root) on 127.0.0.1; port 0 (default) picks a free one`);
    return;
  }
  const srv = await startServer({
    root: opts.root,
    isolated: opts.isolated,
    port: opts.port,
    log: opts.verbose ? (line) => console.error(line) : null,
  });
  console.log(srv.url);
  console.error(
    `serving ${srv.root} ${srv.isolated ? 'with' : 'WITHOUT'} cross-origin isolation headers; Ctrl-C to stop`,
  );
  const stop = async () => {
    await srv.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(`server.mjs: ${err.message}`);
    process.exit(1);
  });
}
