/**
 * App latency in Chromium for MemoryGatedMLP: from a keypress to the last DOM update it causes (the new
 * prediction and every open panel redrawn), p50/p95 over many steps, for several sets of open panels.
 * Serves the built app in-process (building it if needed) and drives Debian's Chromium with Playwright.
 * Target (issues 4, 9): p95 under 50 ms with the prediction and four panels; the prediction updates
 * first (its own column: keypress to the new time/prediction in the DOM), panels follow. The 8-panel row
 * opens the first eight registered panels (skipped while fewer exist). Skips when
 * ../shared/models/MemoryGatedMLP.pt or chromium is absent.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { chromium } from '@playwright/test';
import { createServerApp } from '../src/node/server/app.ts';
import { PANELS } from '../src/session/panels/index.ts';
import { buildApp, needsBuild } from '../src/node/server/build.ts';
import { printTable } from './harness.ts';

const path = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const MODELS = path('../../shared/models');
const STEPS = 40;
const QUIET_MS = 120;
const EIGHT = PANELS.slice(0, 8).map((p) => p.id);
const CONFIGS: [string, string][] = [
  ['prediction only', ''],
  ['+ attention', 'attention'],
  ['+ logit lens', 'logit-lens'],
  ['prediction + 4 panels', 'attention,logit-lens,observation,cache'],
  ...(EIGHT.length === 8 ? [['prediction + 8 panels', EIGHT.join(',')] as [string, string]] : []),
];

/** Page script: time of each keydown, of the first prediction update after it and of the latest DOM mutation. */
const INSTRUMENT = `
  window.addEventListener('keydown', () => { window.__t0 = performance.now(); window.__pred = 0; }, { capture: true });
  new MutationObserver(() => (window.__last = performance.now())).observe(document.body,
    { subtree: true, childList: true, characterData: true, attributes: true });
  new MutationObserver(() => { if (!window.__pred) window.__pred = performance.now(); }).observe(
    document.querySelector('[data-testid="current-time"]'), { subtree: true, childList: true, characterData: true });`;
/** Page script: once the DOM has been quiet for QUIET_MS, [keydown-to-last-mutation, keydown-to-prediction]. */
const WAIT_QUIET = `new Promise((resolve) => {
  const poll = () => (performance.now() - window.__last > ${QUIET_MS} ? resolve([window.__last - window.__t0, window.__pred - window.__t0]) : setTimeout(poll, 10));
  poll();
})`;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export default async function appLatency(): Promise<void> {
  const browserPath = process.env.CHROMIUM_PATH ?? execSync('command -v chromium || true').toString().trim();
  if (!existsSync(`${MODELS}/MemoryGatedMLP.pt`) || !browserPath) {
    console.log('skipped: needs ../shared/models/MemoryGatedMLP.pt and a chromium binary');
    return;
  }
  if (needsBuild(path('../app'), path('../src'))) await buildApp(path('../app'));
  const app = createServerApp({ staticDir: path('../app/dist'), modelDirs: [MODELS] });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: browserPath,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const rows: string[][] = [];
  try {
    for (const [name, panels] of CONFIGS) {
      const page = await browser.newPage({ viewport: { width: 1480, height: 1000 } });
      await page.goto(
        `http://127.0.0.1:${port}/?model=MemoryGatedMLP.pt&seed=0${panels ? `&panels=${panels}` : ''}`,
      );
      await page.getByTestId('current-time').filter({ hasText: '0' }).waitFor({ timeout: 60_000 });
      await page.evaluate(INSTRUMENT);
      const latencies: number[] = [];
      const predictions: number[] = [];
      const engine: number[] = [];
      const engineStat = page.locator('.stat', { hasText: 'Engine' }).locator('strong');
      for (let k = 0; k < STEPS; k++) {
        await page.keyboard.press(k % 2 ? 'ArrowRight' : 'ArrowLeft');
        await page
          .getByTestId('current-time')
          .filter({ hasText: new RegExp(`^${k + 1}$`) })
          .waitFor();
        // A string, not a function: tsx would inject its `__name` helper into a serialised function.
        const [ms, predMs] = await page.evaluate<[number, number]>(WAIT_QUIET);
        // the first steps warm up the JIT
        if (k >= 2) {
          latencies.push(ms);
          predictions.push(predMs);
          engine.push(parseFloat((await engineStat.textContent()) ?? 'NaN'));
        }
      }
      rows.push([
        name,
        String(latencies.length),
        quantile(predictions, 0.5).toFixed(1),
        quantile(predictions, 0.95).toFixed(1),
        quantile(latencies, 0.5).toFixed(1),
        quantile(latencies, 0.95).toFixed(1),
        quantile(engine, 0.5).toFixed(0),
      ]);
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  console.log(
    'keypress -> prediction shown, and -> last DOM update (open panels too), MemoryGatedMLP, Chromium headless',
  );
  if (EIGHT.length < 8) console.log(`(8-panel row skipped: ${EIGHT.length} panels registered)`);
  printTable(
    ['open panels', 'steps', 'prediction p50', 'prediction p95', 'all p50 ms', 'all p95 ms', 'worker p50 ms'],
    rows,
  );
}
