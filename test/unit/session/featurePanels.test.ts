/**
 * The features panel's worker half on the default MemoryS7 model: the probe job collects in the model's
 * env, probes and reports progress; an episode env whose observations do not fit the model is typed.
 */
import { readFileSync } from 'node:fs';
import { windowJobContext } from '../../support/jobContext.ts';
import { describe, expect, it } from 'vitest';
import type { ProbeSweepResult } from '../../../src/analysis/features/probe.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { panelById } from '../../../src/session/panels/index.ts';
import type { JobPanel } from '../../../src/session/panels/types.ts';
import { normalizeParams } from '../../../src/session/params.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { randomInputs } from '../../support/randomModel.ts';

const ckpt = loadCheckpoint(
  new Uint8Array(readFileSync('models/MiniGrid-MemoryS7FixedStart-v0.safetensors')),
);
const model = createModel(ckpt, { gemm: new TsGemm() });
const other = windowJobContext(model, randomInputs(model.arch, 1, 2), 4);
const ctx = { ...other, episode: { ...other.episode, env: ckpt.env } };

describe('features panels', () => {
  it('probe-sweep probes the residual stream for every label, with progress', async () => {
    const panel = panelById('probe-sweep') as JobPanel;
    const params = normalizeParams(panel.params, { episodes: 8 });
    const seen: number[] = [];
    const r = (await panel.run(ctx, params, { onProgress: (done) => seen.push(done) })) as ProbeSweepResult;
    expect(r.hooks).toEqual([
      'blocks.0.hook_resid_pre',
      'blocks.0.hook_resid_mid',
      'blocks.0.hook_resid_post',
      'blocks.1.hook_resid_mid',
      'blocks.1.hook_resid_post',
    ]);
    expect(r.scores).toHaveLength(5 * r.labels.length);
    expect(seen.length).toBeGreaterThan(1);
    expect('directions' in r).toBe(false);
  }, 120_000);

  it('an env whose observations do not fit the model is a typed error', async () => {
    const panel = panelById('probe-sweep') as JobPanel;
    const params = normalizeParams(panel.params, { episodes: 4 });
    await expect(panel.run(other, params, {})).rejects.toThrow(/do not fit this model/);
  }, 120_000);
});
