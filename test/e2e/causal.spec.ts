/**
 * The Causal panels in Chromium on golden pairA's clean window (MemoryS7 seed 1 after four forward
 * steps): activation patching run from a link (DTI's key -> ball edit of the instruction at S5), its
 * grid editor and heatmap, the exported CSV matching the golden sweep; counterfactual attention and
 * ablation drawn next to it. The pair exported from the path-patching panel, fed to `dtlens path-patch`,
 * gives the panel's numbers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';

const SHARED = process.env.DTLENS_SHARED ?? resolve('../shared');
const MODEL = 'MemoryGatedMLP.pt';
const PAIR = resolve(SHARED, 'golden/analysis/MemoryGatedMLP/pairA_raw.safetensors');
const ready = existsSync(resolve(SHARED, 'models', MODEL)) && existsSync(PAIR);

test.skip(
  !ready,
  `skipped: ${MODEL} or golden pairA not found under ${SHARED} (fresh clone without ../shared)`,
);

test('activation patching from a link reproduces golden pairA; counterfactual attention and ablation draw', async ({
  page,
}) => {
  const panels = 'activation-patching,counterfactual-attention,ablation';
  await page.goto(
    `/?model=${MODEL}&seed=1&actions=2222&weights=raw&panels=${panels}` +
      '&activation-patching.step=4&counterfactual-attention.step=4&activation-patching.mode=denoise',
  );
  await expect(page.getByTestId('current-time')).toHaveText('4', { timeout: 30_000 });
  const patching = page.locator('[data-panel="activation-patching"]');
  await patching.getByRole('button', { name: 'Run' }).click();
  const figure = patching.locator('[data-figure="patching-denoise-block_every"]');
  await expect(figure).toBeVisible({ timeout: 60_000 });
  await expect(patching).toContainText('S5 (2,6): key -> ball');
  // Settings that do not apply are hidden: the neuron field only for the neuron metric.
  const neuron = patching.getByLabel('neuron metric (L{l}N{n})');
  await expect(neuron).toHaveCount(0);
  await patching.getByLabel('metric', { exact: true }).selectOption('neuron');
  await expect(neuron).toBeVisible();
  await expect(patching.getByLabel('negative', { exact: true })).toHaveCount(0);
  await patching.getByLabel('metric', { exact: true }).selectOption('logit-diff');
  await expect(patching).toContainText(/clean 3\.757\d, corrupted -7\.661\d/);
  // The grid editor: clean and corrupted observations side by side, the edited cell marked.
  await expect(patching.locator('.object-grid')).toHaveCount(2);
  await expect(patching.locator('.object-grid').first().getByTitle('(2,6) key')).toBeVisible();
  await expect(patching.locator('.object-grid').nth(1).getByTitle('(2,6) ball')).toBeVisible();
  // The exported CSV holds the golden DTI block_every scores (denoise).
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    figure.getByRole('button', { name: 'CSV' }).click(),
  ]);
  const path = join(mkdtempSync(join(tmpdir(), 'dtlens-e2e-')), download.suggestedFilename());
  await download.saveAs(path);
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  expect(header.slice(0, 4)).toEqual(['component', 'layer', 'position', 'score']);
  const golden = toFloat32(
    readSafetensors(new Uint8Array(readFileSync(PAIR))).tensors.get('patch.denoise.dti.block_every')!,
  );
  expect(lines.length - 1).toBe(golden.length);
  lines
    .slice(1)
    .forEach((line, i) => expect(Math.abs(Number(line.split(',')[3]) - golden[i])).toBeLessThan(1e-4));
  // Clicking a cell of the clean grid moves the edit there (URL state).
  await patching.locator('.object-grid').first().getByTitle('(3,6)', { exact: false }).click();
  await expect(page).toHaveURL(/activation-patching\.x=3/);

  await expect(page.locator('[data-panel="counterfactual-attention"] svg').first()).toBeVisible();
  const ablation = page.locator('[data-panel="ablation"]');
  await expect(ablation.locator('[data-figure="ablation-prediction"]')).toBeVisible();
  await expect(ablation).toContainText('left − right');
});

test('the exported pair fed to dtlens path-patch gives the path-patching panel’s numbers', async ({
  page,
}) => {
  await page.goto(
    `/?model=${MODEL}&seed=1&actions=2222&weights=raw&panels=path-patching&path-patching.step=4`,
  );
  await expect(page.getByTestId('current-time')).toHaveText('4', { timeout: 30_000 });
  const panel = page.locator('[data-panel="path-patching"]');
  await panel.getByRole('button', { name: 'Run' }).click();
  const figure = panel.locator('[data-figure^="path-patching-"]');
  await expect(figure).toBeVisible({ timeout: 60_000 });
  const dir = mkdtempSync(join(tmpdir(), 'dtlens-e2e-'));
  const save = async (click: () => Promise<void>) => {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    const path = join(dir, download.suggestedFilename());
    await download.saveAs(path);
    return path;
  };
  const csv = readFileSync(await save(() => figure.getByRole('button', { name: 'CSV' }).click()), 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(','));
  expect(csv[0]).toEqual(['layer', 'head', '1 − m', 'sender']);
  const pair = await save(() => panel.getByRole('button', { name: 'Export pair' }).click());
  expect(pair).toMatch(/pair-.*\.safetensors$/);
  const out = join(dir, 'path.safetensors');
  const r = spawnSync(
    process.execPath,
    [
      'bin/dtlens.js',
      'path-patch',
      '--model',
      resolve(SHARED, 'models', MODEL),
      '--input',
      pair,
      '--senders',
      'heads',
      '--receivers',
      'final',
      '--output',
      out,
    ],
    { encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  const cli = toFloat32(readSafetensors(new Uint8Array(readFileSync(out))).tensors.get('path.custom')!);
  expect(cli.length).toBe(csv.length - 1);
  let worst = 0;
  csv.slice(1).forEach((row, i) => (worst = Math.max(worst, Math.abs(Number(row[2]) - cli[i]))));
  console.log(`exported pair -> dtlens path-patch: worst |app - CLI| 1 − m = ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-5);
});
