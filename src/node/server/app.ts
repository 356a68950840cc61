/**
 * The HTTP app behind `npm start`: the built web app as static files and the model folders under
 * `/api/models` (list) and `/api/models/:name` (bytes). Read-only; nothing is ever written or uploaded.
 * Only regular files whose real path lies inside the served folders are served, and requests whose
 * Host is not the bound loopback address are refused (DNS rebinding cannot reach the server).
 */
import { extname, resolve, sep } from 'node:path';
import { Hono } from 'hono';
import { readServable, servableFile } from './files.ts';
import { findModel, listModels } from './models.ts';

export interface ServerOptions {
  /** The built app (index.html and assets). */
  staticDir: string;
  modelDirs: readonly string[];
  /**
   * Host header values accepted (e.g. `127.0.0.1:5173`, `localhost:5173`), read per request because
   * the port is known only once the server is bound. Every other Host gets 421.
   */
  allowedHosts: () => readonly string[];
}

/** The Host values of a loopback server on `port`. */
export const loopbackHosts = (port: number): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

/** The file under `root` a URL path names, or null if it would leave `root` or is malformed. */
export function staticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = resolve(root);
  const full = resolve(base, '.' + (decoded.endsWith('/') ? decoded + 'index.html' : decoded));
  return full === base || full.startsWith(base + sep) ? full : null;
}

export function createServerApp(options: ServerOptions): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    if (!options.allowedHosts().includes(host)) return c.text('misdirected request: unknown Host', 421);
    await next();
  });

  app.get('/api/models', (c) =>
    c.json({ models: listModels(options.modelDirs).map(({ name, size }) => ({ name, size })) }),
  );

  app.get('/api/models/:name', async (c) => {
    const model = findModel(options.modelDirs, c.req.param('name'));
    const bytes = model && (await readServable({ real: model.path, size: model.size }));
    if (!bytes) return c.json({ error: 'no such model' }, 404);
    return c.body(bytes, 200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'no-cache',
    });
  });

  app.get('/api/*', (c) => c.json({ error: 'not found' }, 404));

  app.get('*', async (c) => {
    const path = staticPath(options.staticDir, new URL(c.req.url).pathname);
    if (!path) return c.text('bad path', 400);
    const file = servableFile(options.staticDir, path);
    const bytes = file && (await readServable(file));
    if (!bytes) return c.text('not found', 404);
    const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
    return c.body(bytes, 200, { 'content-type': type });
  });

  return app;
}
