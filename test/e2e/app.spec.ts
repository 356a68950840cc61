/**
 * The app end to end with MemoryGatedMLP: play a MemoryS7 episode to the goal with the keyboard
 * (prediction and attention panel update at every step), export a figure as SVG (a canvas heatmap too),
 * reload to restore the state from the URL, and open a bad file without breaking anything. Screenshots go to test-results/.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Page, expect, test } from '@playwright/test';

const SHARED = process.env.DTLENS_SHARED ?? resolve('../shared');
const MODEL = 'MemoryGatedMLP.pt';
const hasModel = existsSync(resolve(SHARED, 'models', MODEL));
/** Seed 0 of MemoryS7FixedStart: the greedy route of the golden rollout, ending on the matching object. */
const ROUTE = ['ArrowUp', 'ArrowUp', 'ArrowUp', 'ArrowUp', 'ArrowRight', 'ArrowUp'];
const shot = (page: Page, name: string) =>
  page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });

test.skip(!hasModel, `skipped: ${MODEL} not found under ${SHARED}/models (fresh clone without ../shared)`);

async function openModel(page: Page, query = `?model=${MODEL}&seed=0`) {
  await page.goto(`/${query}`);
  await expect(page.getByTestId('current-time')).toHaveText('0', { timeout: 30_000 });
}

test('plays a MemoryS7 episode to the goal with the keyboard; prediction and attention update each step', async ({
  page,
}) => {
  await openModel(page, `?model=${MODEL}&seed=0&panels=attention`);
  await expect(page.getByTestId('param-count')).not.toBeEmpty();
  await expect(page.getByTestId('window').locator('.token')).toHaveCount(26);
  const heads = page.locator('[data-panel="attention"] .head-thumb');
  await expect(heads).toHaveCount(8);
  const attention = page.locator('[data-panel="attention"] .figure-body');
  await shot(page, '01-loaded');

  const scrollBefore = await page.evaluate(() => window.scrollY);
  for (let k = 0; k < ROUTE.length; k++) {
    const before = {
      entropy: await page.getByTestId('entropy').textContent(),
      heads: await attention.innerHTML(),
    };
    await page.keyboard.press(ROUTE[k]);
    await expect(page.getByTestId('current-time')).toHaveText(String(k + 1));
    await expect(page.locator(`[data-figure="prediction-t${k + 1}"]`)).toBeVisible();
    await expect.poll(() => page.getByTestId('entropy').textContent()).not.toBe(before.entropy);
    await expect.poll(() => attention.innerHTML()).not.toBe(before.heads);
    if (k === 2) await shot(page, '02-mid-episode');
  }
  expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
  await expect(page.getByTestId('episode-end')).toContainText('game ending move');
  const reward = Number(await page.locator('.stat', { hasText: 'Reward' }).locator('strong').textContent());
  expect(reward).toBeGreaterThan(0.9);
  await expect(page.getByRole('button', { name: /forward/ })).toBeDisabled();
  await shot(page, '03-goal-reached');
  await expect(page).toHaveURL(/actions=222212/);
});

test('exports a figure as a valid SVG', async ({ page }) => {
  await openModel(page);
  const figure = page.locator('[data-figure="prediction-t0"]');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    figure.getByRole('button', { name: 'SVG' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('prediction-t0.svg');
  const text = await readFile((await download.path())!, 'utf8');
  const check = await page.evaluate((svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      ns: doc.documentElement.namespaceURI,
      bars: doc.querySelectorAll('rect').length,
    };
  }, text);
  expect(check).toMatchObject({ error: null, root: 'svg', ns: 'http://www.w3.org/2000/svg' });
  expect(check.bars).toBeGreaterThanOrEqual(7);
});

test('a large heatmap is drawn to a canvas on screen and still exports as SVG with title and legend', async ({
  page,
}) => {
  await openModel(page, `?model=${MODEL}&seed=0&panels=cache`);
  const figure = page.locator('[data-figure^="cache-"]');
  await expect(figure.locator('canvas')).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    figure.getByRole('button', { name: 'SVG' }).click(),
  ]);
  const text = await readFile((await download.path())!, 'utf8');
  const check = await page.evaluate((svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      text: doc.documentElement.textContent ?? '',
      cells: doc.querySelectorAll('rect').length,
      images: doc.querySelectorAll('image').length,
    };
  }, text);
  expect(check).toMatchObject({ error: null, root: 'svg' });
  expect(check.text).toContain('blocks.0.hook_resid_post'); // title and legend label
  expect(check.text).toContain('weights raw'); // settings line
  // vector cells, not an embedded raster: one rect per cell of the (at least 26-token) cache heatmap
  expect(check.images).toBe(0);
  expect(check.cells).toBeGreaterThan(26 * 26);
});

test('restores model, seed, actions, RTG and panels from the URL on reload', async ({ page }) => {
  await openModel(page, `?model=${MODEL}&seed=0&panels=cache`);
  for (const key of ['ArrowUp', 'ArrowUp', 'ArrowLeft']) await page.keyboard.press(key);
  await expect(page.getByTestId('current-time')).toHaveText('3');
  await page.getByLabel('initial RTG').fill('0.5');
  await expect(page.getByTestId('current-rtg')).toHaveText('0.50');
  await page.getByRole('button', { name: 'Logit lens & decomposition' }).click();
  await expect(page.locator('[data-panel="logit-lens"] [data-testid="logit-diff"]')).toBeVisible();
  const entropy = await page.getByTestId('entropy').textContent();
  await expect(page).toHaveURL(/actions=220.*panels=cache%2Clogit-lens/);

  await page.reload();
  await expect(page.getByTestId('current-time')).toHaveText('3', { timeout: 30_000 });
  await expect(page.getByTestId('current-rtg')).toHaveText('0.50');
  await expect(page.getByTestId('entropy')).toHaveText(entropy!);
  await expect(page.getByTestId('actions-list')).toHaveText('forward, forward, left');
  await expect(page.locator('[data-panel="cache"] [data-figure]')).toBeVisible();
  await expect(page.locator('[data-panel="logit-lens"] [data-testid="logit-diff"]')).toBeVisible();
  await page.locator('.model-info summary').click();
  await shot(page, '04-restored-with-panels');
});

test('a bad file shows the loader error and the app stays usable', async ({ page }) => {
  await openModel(page);
  await page.getByTestId('file-input').setInputFiles({
    name: 'broken.pt',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('PK\u0003\u0004 this is not a checkpoint'),
  });
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Error');
  await expect(alert).toContainText('could not open broken.pt');
  await expect(alert).not.toContainText('unexpected error');
  await shot(page, '05-bad-file');
  await page.keyboard.press('ArrowUp');
  await expect(page.getByTestId('current-time')).toHaveText('1');
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByTestId('current-time')).toHaveText('0');
});

test('works as static files: no model server, a model opened from disk', async ({ page }) => {
  // Static hosting: no /api (every request there fails as it would on a plain file server).
  await page.route('**/api/**', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto('/');
  await expect(page.getByText('Open a Decision Transformer checkpoint')).toBeVisible();
  await page.getByTestId('file-input').setInputFiles(resolve(SHARED, 'models', MODEL));
  await expect(page.getByTestId('current-time')).toHaveText('0', { timeout: 30_000 });
  await page.keyboard.press('ArrowUp');
  await expect(page.getByTestId('current-time')).toHaveText('1');
  await page.getByText(/^History \(/).click();
  await expect(page.getByRole('list', { name: 'history timeline' }).getByRole('listitem')).toHaveText([
    'S8',
    'S9',
  ]);
  await expect(page.getByTestId('frame-label')).toHaveText('token S9');
  await shot(page, '06-static-file-opened');
});

test('a 3-action, one-timestep model (Dynamic-Obstacles) plays with every panel open', async ({ page }) => {
  const model = 'ReproduceOriginalPostShort.pt';
  test.skip(!existsSync(resolve(SHARED, 'models', model)), `skipped: ${model} not found`);
  await openModel(page, `?model=${model}&seed=1&panels=attention,logit-lens,observation,cache`);
  await expect(page.getByRole('group', { name: 'actions' }).getByRole('button')).toHaveCount(3);
  await expect(page.getByTestId('window').locator('.token')).toHaveText(['R10.90', 'S1t=0']);
  await page.keyboard.press('ArrowUp');
  await expect(page.getByTestId('current-time')).toHaveText('1');
  for (const id of ['attention', 'logit-lens', 'observation', 'cache'])
    await expect(page.locator(`[data-panel="${id}"] [data-figure]`).first()).toBeVisible();
  await expect(page.locator('.panel .banner.error')).toHaveCount(0);
  await shot(page, '07-dynamic-obstacles-all-panels');
});
