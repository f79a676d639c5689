/**
 * The web interface's files (built by Vite into dist/web at `npm run build`), served at `/`. Hashed
 * files under /assets/ never change, so browsers keep them for a year; index.html is checked each
 * time so a new release is picked up. Every page carries a strict Content-Security-Policy: scripts
 * only from this server, nothing from elsewhere but images (which the message view lets through
 * only when the user asks for a message's remote images; the sanitiser and the message frame's own
 * policy hold them back otherwise).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpRoute } from '../server.js';

export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Mail HTML is styled inline; it is shown in a sandboxed frame that runs no script.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https: http:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self' about:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': WEB_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** dist/web: beside the compiled server (dist/http/web/ → dist/web), or built from src/ (tests run the sources). */
export function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../web'), resolve(here, '../../../dist/web')];
  return candidates.find((candidate) => existsSync(join(candidate, 'index.html'))) ?? candidates[0];
}

export function staticRoute(root: string = defaultWebRoot()): HttpRoute {
  const base = resolve(root);
  return async (req: IncomingMessage, res: ServerResponse) => {
    const pathname = decodeURIComponentSafe(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (pathname === null) return false;
    const isPage = pathname === '/' || pathname === '/index.html';
    if (!isPage && !pathname.startsWith('/assets/') && pathname !== '/favicon.svg') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const file = resolve(join(base, isPage ? 'index.html' : pathname));
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      if (isPage) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
        res.end('The web interface is not built; run npm run build.\n');
        return true;
      }
      return false;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}

function decodeURIComponentSafe(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}
