/**
 * `dtlens sae train|eval`, `dtlens train --series-every` and `dtlens across-training` end to end on
 * small runs (with SAE feature matches across the series); typed one-line errors for an SAE of another model and a series of different architectures.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saeMatchesAcrossTraining } from '../../../src/analysis/features/acrossTraining.ts';
import { readSae } from '../../../src/analysis/features/saeIo.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { runCli } from '../../support/cli.ts';

const model = resolve('models/MiniGrid-MemoryS7FixedStart-v0.safetensors');
const dir = mkdtempSync(join(tmpdir(), 'dtlens-sae-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mem = join(dir, 'mem.safetensors');
const env = 'MiniGrid-MemoryS7FixedStart-v0';
const quiet = ['--quiet', '--backend', 'ts'];

describe('dtlens sae and across-training', () => {
  it('collects a dataset and trains a tiny series', () => {
    const c = runCli([
      'collect',
      '--env',
      env,
      '--one-hot',
      '--episodes',
      '20',
      '--epsilon',
      '0.2',
      '--output',
      mem,
    ]);
    expect(c.status).toBe(0);
    const t = runCli([
      'train',
      '--env',
      env,
      '--data',
      mem,
      '--output',
      join(dir, 'tiny.safetensors'),
      '--steps',
      '20',
      '--series-every',
      '10',
      '--n-layers',
      '2',
      '--d-model',
      '32',
      '--n-heads',
      '2',
      '--d-mlp',
      '32',
      '--batch-size',
      '8',
      '--warm-up-steps',
      '2',
      '--eval-episodes',
      '1',
      '--eval-rtgs',
      '1',
      ...quiet,
    ]);
    expect(t.stderr).toBe('');
    for (const s of ['000010', '000020'])
      expect(existsSync(join(dir, `tiny.safetensors.step${s}.safetensors`))).toBe(true);
  }, 300_000);

  it('trains an SAE, evaluates it, and refuses it for another model', () => {
    const sae = join(dir, 'sae.safetensors');
    const t = runCli([
      'sae',
      'train',
      '--model',
      model,
      '--dataset',
      mem,
      '--hook',
      'blocks.0.hook_resid_post',
      '--latents',
      '64',
      '--k',
      '4',
      '--steps',
      '50',
      '--batch',
      '128',
      '--output',
      sae,
      ...quiet,
    ]);
    expect(t.stderr).toBe('');
    expect(t.stdout).toMatch(/trained 50 steps on \d+ windows/);
    const out = join(dir, 'eval.json');
    const e = runCli([
      'sae',
      'eval',
      '--model',
      model,
      '--dataset',
      mem,
      '--sae',
      sae,
      '--features',
      '0,1',
      '--output',
      out,
      ...quiet,
    ]);
    expect(e.status).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.statistics.l0).toBeLessThanOrEqual(4);
    expect(json.dashboards.map((d: { latent: number }) => d.latent)).toEqual([0, 1]);
    expect(json.dashboards[0].actions).toHaveLength(7);
    const other = runCli([
      'sae',
      'eval',
      '--model',
      join(dir, 'tiny.safetensors'),
      '--dataset',
      mem,
      '--sae',
      sae,
      '--output',
      out,
      ...quiet,
    ]);
    expect(other.status).toBe(1);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toContain('the SAE was trained on a model');
    // One latent clamped in closed loop with its random-latent control; a clamp of 0 beside it.
    const steerOut = join(dir, 'steer.json');
    const steer = (extra: string[]) =>
      runCli([
        'sae',
        'steer',
        '--model',
        model,
        '--sae',
        sae,
        '--episodes',
        '2',
        '--output',
        steerOut,
        '--backend',
        'ts',
        ...extra,
      ]);
    const s = steer(['--latent', '3', '--op', 'clamp', '--values', '0,9']);
    expect(s.stderr).toBe('');
    const steered = JSON.parse(readFileSync(steerOut, 'utf8'));
    expect(steered.conditions.map((c: { label: string }) => c.label)).toEqual([
      'none',
      'clamp 3=0',
      expect.stringMatching(/^control clamp \d+=0$/),
      'clamp 3=9',
      expect.stringMatching(/^control clamp \d+=9$/),
    ]);
    expect(steered.verdicts).toHaveLength(2);
    expect(s.stdout).toMatch(/clamp 3=9 .*: behaviour (follows|does not follow)/);
    const bad = steer(['--latent', '64']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe("dtlens: feature 64 is outside the SAE's 0..63");
  }, 300_000);

  it('probes a series against the training step; refuses mixed architectures', () => {
    const series = ['000010', '000020'].map((s) => join(dir, `tiny.safetensors.step${s}.safetensors`));
    const out = join(dir, 'across.json');
    const r = runCli([
      'across-training',
      '--series',
      ...series,
      '--dataset',
      mem,
      '--labels',
      'agent_dir',
      '--output',
      out,
      '--backend',
      'ts',
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).steps).toEqual([10, 20]);
    const comp = runCli([
      'across-training',
      '--analysis',
      'composition',
      '--series',
      ...series,
      '--output',
      out,
    ]);
    expect(comp.stderr).toBe('');
    const c = JSON.parse(readFileSync(out, 'utf8'));
    expect(c.steps).toEqual([10, 20]);
    expect(c.pairs[0]).toMatch(/^L0H0→L1H0 Q$/);
    expect(c.scores[0]).toHaveLength(2);
    const types = runCli([
      'across-training',
      '--analysis',
      'head-types',
      '--series',
      ...series,
      '--dataset',
      mem,
      '--max-windows',
      '40',
      '--output',
      out,
      '--backend',
      'ts',
    ]);
    expect(types.stderr).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).types).toHaveLength(2);
    const noData = runCli([
      'across-training',
      '--analysis',
      'head-types',
      '--series',
      ...series,
      '--output',
      out,
    ]);
    expect(noData.stderr.trim()).toBe('dtlens: --analysis head-types needs --dataset');
    const mixed = runCli([
      'across-training',
      '--series',
      series[0],
      model,
      '--dataset',
      mem,
      '--output',
      out,
    ]);
    expect(mixed.stderr.trim()).toMatch(
      /^dtlens: checkpoint .* has dModel = 128, .* has 32: a series must share one architecture$/,
    );
  }, 300_000);

  it('matches SAE features across the series (one SAE per checkpoint) as the library does', () => {
    const series = ['000010', '000020'].map((s) => join(dir, `tiny.safetensors.step${s}.safetensors`));
    const saes = series.map((m, i) => {
      const out = join(dir, `tiny-sae-${i}.safetensors`);
      const t = runCli([
        'sae',
        'train',
        '--model',
        m,
        '--dataset',
        mem,
        '--hook',
        'blocks.0.hook_resid_post',
        '--latents',
        '16',
        '--k',
        '2',
        '--steps',
        '10',
        '--max-windows',
        '100',
        ...quiet,
        '--output',
        out,
      ]);
      expect(t.stderr).toBe('');
      return out;
    });
    const out = join(dir, 'matches.json');
    const matches = (files: string[]) =>
      runCli([
        'across-training',
        '--analysis',
        'sae-matches',
        '--series',
        ...series,
        '--saes',
        ...files,
        '--output',
        out,
      ]);
    expect(matches(saes).stderr).toBe('');
    const r = JSON.parse(readFileSync(out, 'utf8'));
    const lib = saeMatchesAcrossTraining(
      new TsGemm(),
      saes.map((f, i) => ({ step: [10, 20][i], sae: readSae(readFileSync(f)).training.sae })),
    );
    expect(r.steps).toEqual([10, 20]);
    expect(r.meanCosine[0]).toBeCloseTo(lib.meanCosine[0], 6);
    expect(r.matched).toEqual(lib.matched);
    // the same SAE at both steps: every feature matches itself
    expect(matches([saes[0], saes[0]]).stderr).toBe('');
    const same = JSON.parse(readFileSync(out, 'utf8'));
    expect(same.meanCosine[0]).toBeCloseTo(1, 5);
    expect(same.matched).toEqual([1]);
    expect(matches([saes[0]]).stderr.trim()).toBe(
      'dtlens: --analysis sae-matches needs one SAE per checkpoint: --saes with 2 files',
    );
  }, 300_000);
});
