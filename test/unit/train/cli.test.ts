import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { readDataset } from '../../../src/train/dataset.ts';
import { runCli } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'dtlens-train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dtlens collect / train / evaluate', () => {
  it('collects, trains a small model, resumes, and evaluates it', () => {
    const env = 'MiniGrid-Dynamic-Obstacles-8x8-v0';
    const data = join(dir, 'data.safetensors');
    const c = runCli(['collect', '--env', env, '--episodes', '30', '--policy', 'expert', '--output', data]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const ds = readDataset(readFileSync(data));
    expect(ds.episodes.length).toBe(30);
    expect(ds.nActions).toBe(3);

    const model = join(dir, 'model.safetensors');
    const arch = ['--d-model', '16', '--n-heads', '2', '--d-mlp', '16', '--n-layers', '1', '--n-ctx', '2'];
    const common = ['train', '--data', data, '--env', env, '--output', model, ...arch, '--batch-size', '8'];
    const t = runCli([
      ...common,
      '--steps',
      '4',
      '--checkpoint-every',
      '2',
      '--eval-episodes',
      '2',
      '--quiet',
    ]);
    expect(t.status, t.stderr).toBe(0);
    const ckpt = loadCheckpoint(readFileSync(model));
    expect(ckpt.model.dModel).toBe(16);
    expect(ckpt.env.envId).toBe(env);
    expect((ckpt.offline as { updates: number }).updates).toBe(4);

    const resumed = join(dir, 'resumed.safetensors');
    const r = runCli([
      ...common.slice(0, 5),
      '--output',
      resumed,
      '--resume',
      `${model}.resume.safetensors`,
      '--eval-episodes',
      '2',
      '--quiet',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/after 4 updates/);
    // the resume file holds update 3; continuing to 4 gives the uninterrupted run's weights
    expect(loadCheckpoint(readFileSync(resumed)).weights.get('action_predictor.weight')!.data).toEqual(
      ckpt.weights.get('action_predictor.weight')!.data,
    );

    const json = join(dir, 'cal.json');
    const svg = join(dir, 'cal.svg');
    const e = runCli([
      'evaluate',
      '--model',
      model,
      '--rtg',
      '0,1',
      '--episodes',
      '2',
      '--output',
      json,
      '--plot',
      svg,
    ]);
    expect(e.status, e.stderr).toBe(0);
    const cal = JSON.parse(readFileSync(json, 'utf8'));
    expect(cal.results.map((x: { targetRtg: number }) => x.targetRtg)).toEqual([0, 1]);
    for (const x of cal.results) expect(x.successRate).toBeGreaterThanOrEqual(0);
    expect(readFileSync(svg, 'utf8')).toContain('<svg');
  });

  it('explains bad options', () => {
    const bad = runCli([
      'collect',
      '--env',
      'MiniGrid-Nope-v0',
      '--episodes',
      '1',
      '--output',
      join(dir, 'x'),
    ]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/MiniGrid-Nope-v0/);
    const eps = runCli([
      'collect',
      '--env',
      'MiniGrid-Empty-5x5-v0',
      '--episodes',
      '1',
      '--epsilon',
      '2',
      '--output',
      join(dir, 'x'),
    ]);
    expect(eps.stderr).toMatch(/--epsilon must be in \[0, 1\]/);
    const ctx = runCli([
      'train',
      '--data',
      join(dir, 'missing'),
      '--env',
      'E',
      '--output',
      join(dir, 'm'),
      '--n-ctx',
      '4',
    ]);
    expect(ctx.status).toBe(1);
    expect(ctx.stderr).toMatch(/data file .*missing/);
    const rtg = runCli(['evaluate', '--model', join(dir, 'missing'), '--rtg', '0,x']);
    expect(rtg.stderr).toMatch(/--rtg must be a number/);
  });
});
