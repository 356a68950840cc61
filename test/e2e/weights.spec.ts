/**
 * The Weights panels in Chromium on MemoryGatedMLP: every one opens from the URL with its default
 * settings and draws a figure that fits its card, titled once; composition lists its top edges; a
 * settings change redraws from the worker's memoised result (the exported CSV changes with the figure
 * kind); PCA components download as saved directions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { directionsFromTensors } from '../../src/analysis/static/directions.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { WEIGHTS_PANELS } from '../../src/session/panels/weights.ts';

const SHARED = process.env.DTLENS_SHARED ?? resolve('../shared');
const MODEL = 'MemoryGatedMLP.pt';
test.skip(
  !existsSync(resolve(SHARED, 'models', MODEL)),
  `skipped: ${MODEL} not found under ${SHARED}/models`,
);

test('every Weights panel opens and draws its figure; composition lists the top edges', async ({ page }) => {
  const ids = WEIGHTS_PANELS.map((p) => p.id).join(',');
  await page.goto(`/?model=${MODEL}&seed=0&weights=dti-compat&panels=${ids}`);
  for (const p of WEIGHTS_PANELS) {
    const panel = page.locator(`[data-panel="${p.id}"]`);
    await expect(panel.locator('figure svg').first()).toBeVisible({ timeout: 30_000 });
    // the figure scales down to its card (its right margin and export buttons in view, no sideways
    // scrolling) and its title shows once: the caption, not again inside the SVG
    const fit = await panel
      .locator('figure')
      .first()
      .evaluate((f) => {
        const card = f.closest('[data-panel]')!.getBoundingClientRect();
        const body = f.querySelector('.figure-body')!;
        const exports = f.querySelector('.export')!.getBoundingClientRect();
        const caption = f.querySelector('figcaption')?.textContent ?? '';
        const texts = [...f.querySelectorAll('svg text')].map((t) => t.textContent);
        return {
          inCard: f.getBoundingClientRect().right <= card.right && exports.right <= card.right,
          scrolls: body.scrollWidth > body.clientWidth + 1,
          titleInSvg: texts.includes(caption),
        };
      });
    expect(fit, p.id).toEqual({ inCard: true, scrolls: false, titleInSvg: false });
  }
  const top = page.locator('[data-panel="composition"] table[aria-label="top compositions"] tbody tr');
  await expect(top).toHaveCount(10);
  await expect(top.first()).toContainText('L0H3');
  // hover values still show on the scaled-down figure
  const composition = page.locator('[data-panel="composition"] figure').first();
  await composition.locator('g[aria-label="cell"] rect').first().hover();
  await expect(composition.locator('g[aria-label="tip"]')).toContainText(/\d/);
});

test('composition: the graph figure exports its edges as CSV', async ({ page }) => {
  await page.goto(`/?model=${MODEL}&seed=0&weights=dti-compat&panels=composition&composition.figure=graph`);
  const panel = page.locator('[data-panel="composition"]');
  await expect(panel.locator('figure svg').first()).toBeVisible({ timeout: 30_000 });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByTitle('Export as CSV').first().click(),
  ]);
  const path = await download.path();
  const csv = readFileSync(path!, 'utf8');
  expect(csv.split(/\r?\n/)[0]).toBe('type,writer,reader,score');
  expect(csv).toContain('V,L0H3,L1H0,0.28');
});

test('embeddings: the PCA components download as a saved-directions file', async ({ page }) => {
  await page.goto(`/?model=${MODEL}&seed=0&weights=dti-compat&panels=embeddings`);
  const panel = page.locator('[data-panel="embeddings"]');
  await expect(panel.locator('figure svg').first()).toBeVisible({ timeout: 30_000 });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'download first 2' }).click(),
  ]);
  const file = readSafetensors(new Uint8Array(readFileSync((await download.path())!)));
  const dirs = directionsFromTensors(file.tensors, file.metadata);
  expect(dirs.labels).toEqual(['pca-directions PC1', 'pca-directions PC2']);
  expect(dirs.vectors.shape).toEqual([2, 128]);
});
