/**
 * The workbench shell in Chromium: panels opened from every group through the search; a link with
 * analysis settings reproduces the same figure (same exported CSV); invalid URL values named in a
 * notice; the exported window fed to `dtlens forward` gives the app's prediction to 1e-5; the saved
 * report opens offline with every static figure; a port in use gives a one-line error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { GROUP_TITLES, PANELS, PANEL_GROUPS } from '../../src/session/panels/index.ts';
import { STATIC_REPORT_FIGURES } from '../../src/report/staticFigures.ts';
import { softmax } from '../../src/session/playSession.ts';

const SHARED = process.env.DTLENS_SHARED ?? resolve('../shared');
const MODEL = 'MemoryGatedMLP.pt';
const hasModel = existsSync(resolve(SHARED, 'models', MODEL));
const shot = (page: Page, name: string) =>
  page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: false });

test.skip(!hasModel, `skipped: ${MODEL} not found under ${SHARED}/models (fresh clone without ../shared)`);

async function open(page: Page, query: string) {
  await page.goto(`/?model=${MODEL}&seed=0${query}`);
  await expect(page.getByTestId('current-time')).toHaveText(/^\d+$/, { timeout: 30_000 });
}

async function downloadText(
  page: Page,
  click: () => Promise<void>,
): Promise<{ name: string; text: string; path: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(mkdtempSync(join(tmpdir(), 'dtlens-e2e-')), download.suggestedFilename());
  await download.saveAs(path);
  return { name: download.suggestedFilename(), text: readFileSync(path, 'utf8'), path };
}

test('opens a panel of every group through the search, side by side, with help', async ({ page }) => {
  await open(page, '');
  const search = page.getByLabel('search analyses');
  const groups = PANEL_GROUPS.filter((g) => PANELS.some((p) => p.group === g));
  expect(groups).toContain('dynamic');
  for (const group of groups) {
    const panel = PANELS.find((p) => p.group === group)!;
    await search.fill(panel.title);
    const section = page.getByRole('region', { name: GROUP_TITLES[group] });
    await expect(section.locator(`[data-open-panel="${panel.id}"]`)).toBeVisible();
    await search.press('Enter');
    await expect(page.locator(`[data-panel="${panel.id}"]`)).toBeVisible();
  }
  // typing in the search box does not play; arrow keys elsewhere do
  await search.fill('');
  await search.press('ArrowUp');
  await expect(page.getByTestId('current-time')).toHaveText('0');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowUp');
  await expect(page.getByTestId('current-time')).toHaveText('1');
  // a search with no match
  await search.fill('no such analysis');
  await expect(page.getByText('no match').first()).toBeVisible();
  await search.fill('');
  // two panels side by side, the play area still in view after scrolling the analyses
  await page.locator('[data-open-panel="cache"]').click();
  const first = await page.locator('.panel').nth(0).boundingBox();
  const second = await page.locator('.panel').nth(1).boundingBox();
  expect(first && second && (second.x > first.x + 100 || second.y > first.y)).toBeTruthy();
  await page.mouse.wheel(0, 1500);
  await expect(page.getByTestId('current-time')).toBeInViewport();
  await page.getByRole('button', { name: `help for ${PANELS[0].title}` }).click();
  await expect(page.locator(`[data-panel="${PANELS[0].id}"] p.help`)).toContainText('TransformerLens');
  await shot(page, '10-workbench-panels');
});

test('a link with analysis settings reproduces the same figure (exported CSV)', async ({ page, context }) => {
  await open(page, '&actions=222&panels=attention,logit-lens');
  // settings through the UI: scores, head L1H2 locked, logit direction forward − left, position S7
  const attention = page.locator('[data-panel="attention"]');
  await attention.getByRole('combobox').first().selectOption('scores');
  await attention.locator('[data-head="L1H2"]').click();
  await page
    .locator('[data-panel="logit-lens"]')
    .getByLabel('positive action')
    .selectOption({ label: 'forward' });
  await page
    .locator('[data-panel="logit-lens"]')
    .getByLabel('negative action')
    .selectOption({ label: 'left' });
  await page.getByLabel('token position').selectOption('S7');
  await expect(page).toHaveURL(
    /attention\.values=scores.*attention\.head=6.*logit-lens\.positive=2.*logit-lens\.negative=0/,
  );
  await expect(page).toHaveURL(/pos=S7/);
  const figure = (p: Page) => p.locator('[data-panel="attention"] [data-figure^="attention-"]');
  const lens = (p: Page) => p.locator('[data-panel="logit-lens"] [data-figure^="head-attribution"]');
  await expect(figure(page)).toHaveAttribute('data-figure', 'attention-L1H2-scores');
  const csv = async (p: Page) => ({
    attention: (await downloadText(p, () => figure(p).getByRole('button', { name: 'CSV' }).click())).text,
    lens: (await downloadText(p, () => lens(p).getByRole('button', { name: 'CSV' }).click())).text,
  });
  const before = await csv(page);
  expect(before.attention.split('\n').length).toBeGreaterThan(600);

  const link = page.url();
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByTestId('current-time')).toHaveText('3', { timeout: 30_000 });
  await expect(figure(other)).toHaveAttribute('data-figure', 'attention-L1H2-scores');
  await expect(other.getByLabel('token position')).toHaveValue('S7');
  expect(await csv(other)).toEqual(before);
  await expect(other.getByTestId('url-notices')).toHaveCount(0);
});

test('invalid URL values are named in a notice; the rest of the link applies', async ({ page }) => {
  await open(page, '&rtg=abc&panels=attention,nope&attention.values=bogus&pos=S99&weights=folded');
  const notice = page.getByTestId('url-notices');
  await expect(notice).toContainText('rtg=abc: not a finite number');
  await expect(notice).toContainText('panels=nope: no such panel');
  await expect(notice).toContainText('attention.values=bogus: not one of pattern, scores');
  await expect(notice).toContainText('weights=folded');
  await expect(notice).toContainText("pos=S99: no such token in this model's window");
  await expect(page.locator('[data-panel="attention"] [data-figure]').first()).toBeVisible();
  await shot(page, '11-url-notices');
  // an out-of-slider RTG is accepted and shown as given
  await open(page, '&rtg=5');
  await expect(page.getByTestId('current-rtg')).toHaveText('5.00');
  await expect(page.getByTestId('url-notices')).toHaveCount(0);
});

test('the exported window fed to dtlens forward gives the app prediction to 1e-5', async ({ page }) => {
  await open(page, '&actions=2221&weights=processed');
  await expect(page.getByTestId('weights-active')).toHaveText('processed weights');
  const prediction = await downloadText(page, () =>
    page.locator('[data-figure^="prediction-"]').getByRole('button', { name: 'CSV' }).click(),
  );
  const appRows = prediction.text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const window = await downloadText(page, () => page.getByRole('button', { name: 'Export window' }).click());
  expect(window.name).toMatch(/\.safetensors$/);
  const dir = mkdtempSync(join(tmpdir(), 'dtlens-e2e-'));
  const r = spawnSync(
    process.execPath,
    [
      'bin/dtlens.js',
      'forward',
      '--model',
      resolve(SHARED, 'models', MODEL),
      '--input',
      window.path,
      '--output',
      join(dir, 'out.safetensors'),
      '--weights',
      'processed',
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  const preds = readSafetensors(new Uint8Array(readFileSync(join(dir, 'out.safetensors')))).tensors.get(
    'action_preds',
  )!;
  const logits = toFloat32(preds).slice(-7);
  const probs = softmax(logits);
  let worst = 0;
  appRows.forEach(([, p, l], a) => {
    worst = Math.max(worst, Math.abs(Number(l) - logits[a]), Math.abs(Number(p) - probs[a]));
  });
  console.log(`exported window -> dtlens forward: worst |app - CLI| = ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-5);
});

test('Save report gives a self-contained HTML file that opens offline with every static figure', async ({
  page,
  context,
}) => {
  await open(page, '&actions=22');
  const report = await downloadText(page, () => page.getByRole('button', { name: 'Save report' }).click());
  expect(report.name).toMatch(/^report-.*\.html$/);
  const offline = await context.newPage();
  const requests: string[] = [];
  await offline.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url().startsWith('file:') ? route.continue() : route.abort();
  });
  await offline.goto(`file://${report.path}`);
  await expect(offline.getByRole('heading', { level: 1 })).toContainText(`dtlens report: ${MODEL}`);
  for (const p of STATIC_REPORT_FIGURES)
    await expect(offline.locator(`[data-static="${p.id}"] figure svg`).first()).toBeVisible();
  await expect(offline.locator('[data-window] figure svg')).toHaveCount(5);
  expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
  await shot(offline, '12-report-offline');
});

test('a port in use gives a one-line error naming --port', () => {
  const port = new URL(test.info().project.use.baseURL!).port;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/node/server/start.ts', '--no-build', '--port', port],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toEqual([
    `dtlens app: port ${port} is already in use: choose another with --port N (--port 0 picks a free one)`,
  ]);
});
