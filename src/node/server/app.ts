/**
 * The HTTP app behind `npm start`: the built web app as static files and the model folders under
 * `/api/models` (list) and `/api/models/:name` (bytes). Read-only; nothing is ever written or uploaded.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Hono } from 'hono';
import { findModel, listModels } from './models.ts';

export interface ServerOptions {
  /** The built app (index.html and assets). */
  staticDir: string;
  modelDirs: readonly string[];
}

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

  app.get('/api/models', (c) =>
    c.json({ models: listModels(options.modelDirs).map(({ name, size }) => ({ name, size })) }),
  );

  app.get('/api/models/:name', async (c) => {
    const model = findModel(options.modelDirs, c.req.param('name'));
    if (!model) return c.json({ error: 'no such model' }, 404);
    const bytes = await readFile(model.path);
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'no-cache',
    });
  });

  app.get('/api/*', (c) => c.json({ error: 'not found' }, 404));

  app.get('*', async (c) => {
    const path = staticPath(options.staticDir, new URL(c.req.url).pathname);
    if (!path) return c.text('bad path', 400);
    try {
      if (!(await stat(path)).isFile()) return c.text('not found', 404);
      const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
      return c.body(new Uint8Array(await readFile(path)), 200, { 'content-type': type });
    } catch {
      return c.text('not found', 404);
    }
  });

  return app;
}
