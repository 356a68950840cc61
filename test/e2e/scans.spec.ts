/**
 * The neuron, policy-field and dataset panels in Chromium on golden pairA's clean window (MemoryGatedMLP,
 * seed 1 after four forward steps): L1N88's gate and linear branch, the gated-MLP view, the policy field
 * drawn from a replayed env, a dataset sampled in the session and head types run over it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';

const SHARED = process.env.DTLENS_SHARED ?? resolve('../shared');
const MODEL = 'MemoryGatedMLP.pt';

test.skip(
  !existsSync(resolve(SHARED, 'models', MODEL)),
  `skipped: ${MODEL} not found under ${SHARED} (fresh clone without ../shared)`,
);

test('neuron views, policy field and the session dataset', async ({ page }) => {
  const panels = 'neuron,gated-mlp,policy-field,dataset,dataset-head-types';
  await page.goto(
    `/?model=${MODEL}&seed=1&actions=2222&weights=raw&panels=${panels}&neuron.neuron=L1N88` +
      '&dataset.episodes=2&dataset.rtgs=1&dataset.maxSteps=5',
  );
  await expect(page.getByTestId('current-time')).toHaveText('4', { timeout: 30_000 });

  const neuron = page.locator('[data-panel="neuron"]');
  await expect(neuron).toContainText(/L1N88 at S9: gate -?\d+\.\d{3}, linear -?\d+\.\d{3}/, {
    timeout: 30_000,
  });
  await expect(neuron).toContainText('wrong for a gated MLP');
  await expect(neuron.locator('[data-figure^="neuron-L1N88-components"]')).toHaveCount(2);
  await expect(page.locator('[data-panel="gated-mlp"] [data-figure^="gated-mlp-gates"]')).toBeVisible();

  const field = page.locator('[data-panel="policy-field"]');
  await field.getByRole('button', { name: 'Run' }).click();
  await expect(field.locator('[data-figure^="policy-field-first"]')).toBeVisible({ timeout: 60_000 });
  await expect(field).toContainText(/\d+ poses/);

  const heads = page.locator('[data-panel="dataset-head-types"]');
  await heads.getByRole('button', { name: 'Run' }).click();
  await expect(heads).toContainText('no dataset in this session');

  const dataset = page.locator('[data-panel="dataset"]');
  await expect(dataset.getByLabel('dataset file')).toBeVisible();
  await dataset.getByRole('button', { name: 'Run' }).click();
  await expect(dataset.getByTestId('dataset-summary')).toContainText(
    /\d+ windows of 9 timesteps from 2 episodes/,
    {
      timeout: 60_000,
    },
  );
  await heads.getByRole('button', { name: 'Run' }).click();
  await expect(heads.locator('[data-figure^="head-types"]')).toBeVisible({ timeout: 60_000 });
  // the three facets scale down into the card: the figure's right edge is inside it, nothing scrolls
  const fit = await heads.locator('[data-figure^="head-types"]').evaluate((f) => {
    const body = f.querySelector('.figure-body')!;
    const svg = body.querySelector('svg')!.getBoundingClientRect();
    return {
      inCard: svg.right <= f.closest('[data-panel]')!.getBoundingClientRect().right,
      scrolls: body.scrollWidth > body.clientWidth + 1,
    };
  });
  expect(fit).toEqual({ inCard: true, scrolls: false });
});
