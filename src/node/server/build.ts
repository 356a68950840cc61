/** Builds the web app with Vite when `app/dist` is missing or older than any source it is built from. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time (ms) of the files under `dir`, skipping `dist` and `node_modules`. */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether `appDir/dist` must be (re)built from `appDir` and the engine sources in `srcDir`. */
export function needsBuild(appDir: string, srcDir: string): boolean {
  const index = join(appDir, 'dist', 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return Math.max(newestMtime(appDir), newestMtime(srcDir)) > built;
}

export async function buildApp(appDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(appDir, 'vite.config.ts'), logLevel: 'warn' });
}
