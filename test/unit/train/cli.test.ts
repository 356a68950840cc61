import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import type { CalibrationRecord } from '../../../src/train/calibration.ts';
import { readDataset } from '../../../src/train/dataset.ts';
import { evaluateAtRtgs } from '../../../src/train/rollout.ts';
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
      '3',
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
    const cal = JSON.parse(readFileSync(json, 'utf8')) as CalibrationRecord;
    expect(cal).toMatchObject({ model, envId: env, episodes: 2, seed: 1000000 });
    // the same rollouts run here through the library (episode i resets with seed 1000000 + i)
    const direct = evaluateAtRtgs(createModel(ckpt, { weights: 'raw', gemm: new TsGemm() }), [0, 1], {
      env: ckpt.env,
      episodes: 2,
      seed: 1000000,
      maxEpisodeSteps: 100,
    });
    expect(cal.results).toEqual(direct.map(({ returns: _returns, ...rest }) => rest));
    direct.forEach((r) => {
      expect(r.returns).toHaveLength(2);
      expect(r.meanReturn).toBe((r.returns[0] + r.returns[1]) / 2);
      expect(r.successRate).toBe(r.returns.filter((x) => x > 0).length / 2);
    });
    expect(readFileSync(svg, 'utf8')).toContain('<svg');
  });

  it('trains a curriculum in stages that continue the schedule, weights and AdamW state', () => {
    const env = 'MiniGrid-MemoryS7FixedStart-v0';
    const collect = (name: string, extra: string[]) => {
      const file = join(dir, name);
      const c = runCli(['collect', '--env', env, '--episodes', '12', '--output', file, ...extra]);
      expect(c.status, c.stderr).toBe(0);
      return file;
    };
    const keyTop = collect('key-top.safetensors', ['--memory-layout', 'key-top']);
    const mixed = collect('mixed.safetensors', ['--policy', 'mixed', '--wrong-fraction', '0.5']);
    expect(readDataset(readFileSync(keyTop)).source.memory_layout).toBe('key-top');
    const arch = ['--d-model', '16', '--n-heads', '2', '--d-mlp', '16', '--n-layers', '1', '--n-ctx', '5'];
    const train = (data: string, output: string, extra: string[]) => {
      const args = ['train', '--data', data, '--env', env, '--output', join(dir, output), ...arch];
      const t = runCli([
        ...args,
        '--batch-size',
        '4',
        '--steps',
        '6',
        '--eval-episodes',
        '1',
        '--quiet',
        ...extra,
      ]);
      expect(t.status, t.stderr).toBe(0);
      return loadCheckpoint(readFileSync(join(dir, output)));
    };
    const straight = train(keyTop, 'straight.safetensors', []);
    train(keyTop, 'stage1.safetensors', ['--until', '3']);
    const stage1State = join(dir, 'stage1.safetensors.resume.safetensors');
    // a second stage on the same data and flags is the uninterrupted run, update for update
    const same = train(keyTop, 'same.safetensors', ['--init-from', stage1State]);
    for (const [name, t] of straight.weights) expect(same.weights.get(name)!.data, name).toEqual(t.data);
    // on other data and sampling flags it trains on, and its record lists both stages
    const staged = train(mixed, 'staged.safetensors', [
      '--init-from',
      stage1State,
      '--prob-focus-step',
      '0.5',
      '--focus-step',
      '4',
      '--lr',
      '5e-4',
    ]);
    const record = staged.offline as { updates: number; stages: Array<Record<string, unknown>> };
    expect(record.updates).toBe(6);
    expect(record.stages.map((x) => [x.data, x.from_step, x.to_step, x.prob_focus_step, x.lr])).toEqual([
      [keyTop, 0, 3, 0, 0.001],
      [mixed, 3, 6, 0.5, 0.0005],
    ]);
    expect(staged.weights.get('action_predictor.weight')!.data).not.toEqual(
      straight.weights.get('action_predictor.weight')!.data,
    );
    const bad = runCli([
      'train',
      '--data',
      keyTop,
      '--env',
      env,
      '--output',
      join(dir, 'x.safetensors'),
      '--init-from',
      stage1State,
      '--steps',
      '6',
      '--until',
      '2',
    ]);
    expect(bad.stderr).toMatch(/--until must be after the starting update 3/);
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
    expect(ctx.stderr).toMatch(/cannot read data file: no such file or directory \(.*missing\)/);
    const rtg = runCli(['evaluate', '--model', join(dir, 'missing'), '--rtg', '0,x']);
    expect(rtg.stderr).toMatch(/--rtg must be a number/);
  });
});
