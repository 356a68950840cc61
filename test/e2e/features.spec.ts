/**
 * The features panels in Chromium on dtlens's own MemoryS7 model (no ../shared needed): the SAE panel
 * refuses to run without a dataset, trains on a sampled one (metrics, download of the SAE file), the
 * dashboard draws the top windows as agent views, and the two-RTG window panel draws its figures; two
 * checkpoint files (a fresh initialisation at update 0, the trained model at update 500) sent from the
 * across-training panel's file input give composition scores against the step.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { loadCheckpoint, saveNativeCheckpoint } from '../../src/io/checkpoint.ts';
import { initialCheckpoint } from '../../src/train/init.ts';

const MODEL = 'MiniGrid-MemoryS7FixedStart-v0.safetensors';

test('SAE on the session dataset, its dashboard, latent steering, and the window at two RTGs', async ({
  page,
}) => {
  const panels = 'dataset,sae,sae-dashboard,sae-steer,two-rtgs';
  await page.goto(
    `/?model=${MODEL}&seed=0&actions=22&panels=${panels}&dataset.episodes=2&dataset.rtgs=0,1` +
      '&dataset.maxSteps=8&sae.latents=16&sae.k=2&sae.steps=20&sae.batch=16&sae-dashboard.top=3' +
      '&sae-steer.episodes=2&sae-steer.values=3',
  );
  await expect(page.getByTestId('current-time')).toHaveText('2', { timeout: 30_000 });

  const two = page.locator('[data-panel="two-rtgs"]');
  await expect(two.getByTestId('two-rtgs-summary')).toContainText(
    /at RTG 0, .* at RTG 1; attention moves most in L\dH\d/,
    {
      timeout: 30_000,
    },
  );
  await expect(two.locator('[data-figure^="two-rtgs"]')).toHaveCount(4);

  const sae = page.locator('[data-panel="sae"]');
  await sae.getByRole('button', { name: 'Run' }).click();
  await expect(sae).toContainText('no dataset in this session');
  await page.locator('[data-panel="dataset"]').getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText(/\d+ windows/, { timeout: 60_000 });
  await sae.getByRole('button', { name: 'Run' }).click();
  await expect(sae.getByTestId('sae-summary')).toContainText(
    /16 latents on blocks\.0\.hook_resid_post .* loss recovered/,
    {
      timeout: 60_000,
    },
  );
  const download = page.waitForEvent('download');
  await sae.getByRole('button', { name: 'Download SAE (safetensors)' }).click();
  expect((await download).suggestedFilename()).toBe('sae.safetensors');

  const dash = page.locator('[data-panel="sae-dashboard"]');
  await dash.getByRole('button', { name: 'Run' }).click();
  await expect(dash.getByTestId('sae-top-windows').locator('svg').first()).toBeVisible({ timeout: 60_000 });
  await expect(dash.locator('[data-figure^="sae-latent-0"]').first()).toBeVisible();

  // Latent steering: the current window under each condition, then the closed-loop table.
  const steer = page.locator('[data-panel="sae-steer"]');
  await steer.getByRole('button', { name: 'Run' }).click();
  await expect(steer.locator('[data-figure^="sae-steer-window-0"]')).toBeVisible({ timeout: 60_000 });
  await expect(steer.getByRole('table', { name: 'closed-loop conditions' })).toContainText('clamp 0=3');
  await expect(steer).toContainText(/clamp latent 0 of the SAE on blocks\.0\.hook_resid_post/);
  // A value the setting refuses is named on its field; the last valid value is kept.
  const values = steer.getByLabel('values (added / clamped to)');
  await values.fill('abc');
  await values.press('Enter');
  await expect(steer.getByRole('alert')).toHaveText("'abc': not a valid value; kept 3");
  await expect(values).toHaveAttribute('aria-invalid', 'true');
});

test('a checkpoint series from the file input, composition against the step', async ({ page }) => {
  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(`models/${MODEL}`)));
  const dir = mkdtempSync(join(tmpdir(), 'dtlens-e2e-series-'));
  const files = [
    {
      name: 'step0.safetensors',
      ckpt: {
        ...initialCheckpoint(ckpt.model, ckpt.env, ckpt.nActions, ckpt.obsShape, 3),
        offline: { updates: 0 },
      },
    },
    { name: 'step500.safetensors', ckpt: { ...ckpt, offline: { ...ckpt.offline, updates: 500 } } },
  ].map((f) => {
    const path = join(dir, f.name);
    writeFileSync(path, saveNativeCheckpoint(f.ckpt));
    return path;
  });
  await page.goto(`/?model=${MODEL}&seed=0&panels=across-training`);
  const panel = page.locator('[data-panel="across-training"]');
  await panel.getByRole('button', { name: 'Run' }).click();
  await expect(panel).toContainText('no checkpoint series in this session', { timeout: 30_000 });
  await panel.getByLabel('series checkpoints').setInputFiles(files);
  await expect(panel).toContainText('sent step0.safetensors, step500.safetensors');
  await panel.getByRole('button', { name: 'Run' }).click();
  await expect(panel.locator('[data-figure^="across-training-composition"]')).toBeVisible({
    timeout: 60_000,
  });
});
