/**
 * `npm start [-- --port N --models DIR ...]`: builds the app if needed and serves it on 127.0.0.1 with
 * the models of `./models/` and of every `--models` folder.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Command, InvalidArgumentError } from 'commander';
import { createServerApp } from './app.ts';
import { buildApp, needsBuild } from './build.ts';
import { listModels } from './models.ts';
import { countOf } from '../../text.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The app's default port: clear of common dev servers (Vite 5173/4173, 3000, 8000, 8080, Jupyter 8888, Streamlit 8501). */
export const DEFAULT_PORT = 6180;
const appDir = resolve(repoRoot, 'app');

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

const program = new Command('dtlens-app')
  .description('Serve the dtlens web app on 127.0.0.1 with the models of ./models and --models folders.')
  .option('-p, --port <port>', `port to listen on (0 = any free port)`, parsePort, DEFAULT_PORT)
  .option(
    '-m, --models <dir>',
    'also serve the model files in this folder (repeatable)',
    (v, all: string[]) => [...all, v],
    [],
  )
  .option('--no-build', 'serve app/dist as it is, never run vite build')
  .action(async (opts: { port: number; models: string[]; build: boolean }) => {
    for (const dir of opts.models)
      if (!existsSync(dir)) program.error(`--models: folder not found: ${dir}`, { exitCode: 2 });
    if (opts.build && needsBuild(appDir, resolve(repoRoot, 'src'))) {
      console.log('building the app (vite build)...');
      await buildApp(appDir);
    }
    if (!existsSync(resolve(appDir, 'dist', 'index.html')))
      program.error('app/dist is missing: run `npm run build:app` or drop --no-build', { exitCode: 2 });
    const modelDirs = [resolve('models'), ...opts.models.map((d) => resolve(d))];
    const app = createServerApp({ staticDir: resolve(appDir, 'dist'), modelDirs });
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: '127.0.0.1' }, (info) => {
      const n = listModels(modelDirs).length;
      console.log(`dtlens app: http://127.0.0.1:${info.port}/  (${countOf(n, 'model')} served)`);
    });
    server.on('error', (e: NodeJS.ErrnoException) => {
      const message = listenErrorMessage(e, opts.port);
      process.stderr.write(`${message}\n`);
      process.exit(1);
    });
    const stop = () => server.close(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/** One line for an error of listening on `port` (EADDRINUSE and EACCES name `--port`). */
export function listenErrorMessage(e: NodeJS.ErrnoException, port: number): string {
  if (e.code === 'EADDRINUSE')
    return `dtlens app: port ${port} is already in use: choose another with --port N (--port 0 picks a free one)`;
  if (e.code === 'EACCES')
    return `dtlens app: no permission to listen on port ${port}: choose another with --port N`;
  return `dtlens app: cannot listen on 127.0.0.1:${port}: ${e.message}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await program.parseAsync();
