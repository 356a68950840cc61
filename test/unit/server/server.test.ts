/**
 * The app server: model listing and download, static files, traversal attempts, symlinks out of the
 * served folders and foreign Host headers refused.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, loopbackHosts, staticPath } from '../../../src/node/server/app.ts';
import { findModel, listModels } from '../../../src/node/server/models.ts';

let root: string;
let server: ReturnType<typeof createServerApp>;
const HOST = '127.0.0.1:4321';
/** A request as a browser on the bound loopback address sends it. */
const app = {
  request: (url: string, host = HOST) => server.request(url, { headers: { host } }),
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dtlens-server-'));
  const dist = join(root, 'dist');
  const a = join(root, 'models-a');
  const b = join(root, 'models-b');
  for (const d of [dist, join(dist, 'assets'), a, b, join(a, 'nested')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>dtlens</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'secret');
  writeFileSync(join(a, 'one.pt'), new Uint8Array([1, 2, 3]));
  writeFileSync(join(a, 'notes.txt'), 'not a model');
  writeFileSync(join(a, 'nested', 'deep.pt'), 'x');
  writeFileSync(join(b, 'one.pt'), 'shadowed');
  writeFileSync(join(b, 'two.safetensors'), new Uint8Array(10));
  // Symlinks: one leading out of the folder (to a file anywhere), one staying inside it.
  symlinkSync(join(root, 'secret.txt'), join(a, 'escape.pt'));
  symlinkSync(join(a, 'one.pt'), join(a, 'alias.pt'));
  symlinkSync(join(root, 'secret.txt'), join(dist, 'assets', 'leak.js'));
  writeFileSync(join(a, '.hidden.pt'), 'hidden');
  mkdirSync(join(a, 'folder.pt'));
  server = createServerApp({
    staticDir: dist,
    modelDirs: [a, b, join(root, 'missing')],
    allowedHosts: () => loopbackHosts(4321),
  });
});

describe('model folders', () => {
  it('lists only model files directly inside the folders, first folder first', () => {
    const models = listModels([join(root, 'models-a'), join(root, 'models-b')]);
    expect(models.map((m) => [m.name, m.size])).toEqual([
      ['alias.pt', 3],
      ['one.pt', 3],
      ['two.safetensors', 10],
    ]);
  });

  it('lists neither hidden files, folders, nor symlinks whose target lies outside the folder', () => {
    const names = listModels([join(root, 'models-a')]).map((m) => m.name);
    for (const hidden of ['.hidden.pt', 'folder.pt', 'escape.pt']) expect(names).not.toContain(hidden);
    expect(findModel([join(root, 'models-a')], 'escape.pt')).toBeNull();
  });

  it('finds models by bare name only', () => {
    const dirs = [join(root, 'models-a')];
    expect(findModel(dirs, 'one.pt')?.size).toBe(3);
    for (const bad of [
      'nested/deep.pt',
      '../secret.txt',
      '..',
      '.',
      '',
      'notes.txt',
      'one.pt\0',
      'nested\\deep.pt',
    ])
      expect(findModel(dirs, bad), bad).toBeNull();
  });
});

describe('HTTP routes', () => {
  it('GET /api/models lists names and sizes, without server paths', async () => {
    const res = await app.request('/api/models');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      models: [
        { name: 'alias.pt', size: 3 },
        { name: 'one.pt', size: 3 },
        { name: 'two.safetensors', size: 10 },
      ],
    });
  });

  it('GET /api/models/:name returns the bytes', async () => {
    const res = await app.request('/api/models/one.pt');
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('refuses model names that are paths or unlisted files', async () => {
    for (const url of [
      '/api/models/..%2Fsecret.txt',
      '/api/models/..%2F..%2F..%2Fetc%2Fpasswd',
      '/api/models/nested%2Fdeep.pt',
      '/api/models/notes.txt',
      '/api/models/%2e%2e',
      '/api/models/..%5Csecret.txt',
      '/api/models/escape.pt',
      '/api/models/.hidden.pt',
      '/api/models/folder.pt',
    ]) {
      const res = await app.request(url);
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('serves the built app and its assets', async () => {
    const index = await app.request('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<title>dtlens</title>');
    const js = await app.request('/assets/app.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await app.request('/nope.js')).status).toBe(404);
    expect((await app.request('/api/unknown')).status).toBe(404);
  });

  it('never serves files outside the static folder', async () => {
    for (const url of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2F..%2Fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/leak.js',
    ]) {
      const res = await app.request(url);
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(await res.text(), url).not.toContain('secret');
    }
    expect(staticPath('/srv/app', '/../etc/passwd')).toBeNull();
    expect(staticPath('/srv/app', '/%2e%2e/etc/passwd')).toBeNull();
    expect(staticPath('/srv/app', '/%E0%A4%A')).toBeNull();
    expect(staticPath('/srv/app', '/a/b.js')).toBe('/srv/app/a/b.js');
    expect(staticPath('/srv/app', '/')).toBe('/srv/app/index.html');
  });
});

describe('Host header (DNS rebinding)', () => {
  it('answers only requests addressed to the bound loopback address and port', async () => {
    for (const host of [HOST, 'localhost:4321', 'LOCALHOST:4321'])
      expect((await app.request('/api/models', host)).status, host).toBe(200);
    for (const host of [
      'evil.example:4321',
      'evil.example',
      '127.0.0.1:80',
      '127.0.0.1',
      '',
      '0.0.0.0:4321',
    ]) {
      const res = await app.request('/api/models/one.pt', host);
      expect(res.status, host).toBe(421);
      expect(new Uint8Array(await res.arrayBuffer())).not.toEqual(new Uint8Array([1, 2, 3]));
    }
  });
});
