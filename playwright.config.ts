/**
 * End-to-end tests of the web app in Debian's Chromium (`apt-get install -y chromium`; never
 * `playwright install`). Run with `npm run test:e2e`, which builds the app first. Specs live in
 * test/e2e/*.spec.ts, outside Vitest's include patterns.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

const chromium = process.env.CHROMIUM_PATH ?? execSync('command -v chromium || true').toString().trim();
/** Port of the test server (DTLENS_E2E_PORT when several checkouts test at once). */
const PORT = Number(process.env.DTLENS_E2E_PORT ?? 4173);
/** Reference checkpoints; specs that need them skip with a reason where they are absent. */
const sharedModels = `${process.env.DTLENS_SHARED ?? '../shared'}/models`;
const modelsArg = existsSync(sharedModels) ? ` --models ${sharedModels}` : '';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    acceptDownloads: true,
    viewport: { width: 1480, height: 1000 },
    launchOptions: {
      executablePath: chromium || undefined,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    command: `node --import tsx src/node/server/start.ts --no-build --port ${PORT}${modelsArg}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
