/**
 * `npm start` rebuilds the app by itself when app/dist is older than its sources: the build that
 * `npm run test:e2e` just made is marked stale (index.html dated 2000), then `npm start -- --port 0`
 * must run vite build before serving, leaving a fresh app/dist/index.html that it serves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { needsBuild } from '../../src/node/server/build.ts';

const appDir = resolve('app');
const index = resolve(appDir, 'dist', 'index.html');

/** Resolves with the served URL once the server prints it; collects everything it prints. */
function started(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const url = /dtlens app: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.join(''))?.[1];
      if (url) resolveUrl(url);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.join('')}`)));
  });
}

test('npm start rebuilds a stale app before serving it', async () => {
  test.setTimeout(240_000);
  const stale = new Date('2000-01-01T00:00:00Z');
  utimesSync(index, stale, stale);
  expect(needsBuild(appDir, resolve('src'))).toBe(true);

  // its own process group, so that npm and the server it starts are stopped together
  const child = spawn('npm', ['start', '--', '--port', '0'], { detached: true, stdio: 'pipe' });
  const output: string[] = [];
  try {
    const url = await started(child, output);
    expect(output.join('')).toContain('building the app (vite build)...');
    expect(statSync(index).mtimeMs).toBeGreaterThan(stale.getTime());
    expect(needsBuild(appDir, resolve('src'))).toBe(false);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(readFileSync(index, 'utf8'));
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  }
});
