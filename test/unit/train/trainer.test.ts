import { describe, expect, it } from 'vitest';
import { DEFAULT_ENV_CONFIG, DEFAULT_MODEL_CONFIG } from '../../../src/config/config.ts';
import { npRandom } from '../../../src/env/rng/index.ts';
import { OrtFusedCore } from '../../../src/node/ortCore.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import type { Dataset, Episode } from '../../../src/train/dataset.ts';
import { initialCheckpoint } from '../../../src/train/init.ts';
import { AdamW } from '../../../src/train/optimizer.ts';
import { learningRate } from '../../../src/train/schedule.ts';
import { type TrainConfig, Trainer } from '../../../src/train/trainer.ts';
import { readTrainingState, writeTrainingState } from '../../../src/train/trainingState.ts';
import { expectClose } from '../../support/compare.ts';
import { countingCore } from '../../support/countingCore.ts';
import { seededRandom } from '../../support/randomModel.ts';

/**
 * A tiny memory task: the first observation shows a cue k in {0, 1, 2} (channel k of the single cell),
 * later observations are blank, and the demonstrated action at every step is k. Solving it needs
 * attention back to the first state token.
 */
function cueDataset(n: number, seed: number): Dataset {
  const rand = seededRandom(seed);
  const episodes: Episode[] = Array.from({ length: n }, () => {
    const k = Math.floor(rand() * 3);
    const L = 3;
    const observations = new Uint8Array(L * 3);
    observations[k] = 1;
    return {
      observations,
      actions: new Int32Array(L).fill(k),
      rewards: Float32Array.from([0, 0, 1]),
      terminated: true,
      truncated: false,
    };
  });
  return {
    env: { ...DEFAULT_ENV_CONFIG, envId: 'Cue-v0', maxSteps: 10 },
    nActions: 3,
    obsShape: [1, 1, 3],
    episodes,
    source: {},
  };
}

const config = (overrides: Partial<TrainConfig> = {}): TrainConfig => ({
  model: {
    ...DEFAULT_MODEL_CONFIG,
    dModel: 16,
    nHeads: 2,
    dHead: 8,
    dMlp: 32,
    nLayers: 1,
    nCtx: 8,
    layerNorm: 'LN',
  },
  batchSize: 16,
  steps: 120,
  lr: 0.01,
  lrEnd: 1e-4,
  weightDecay: 0.01,
  scheduler: 'CosineAnnealingWarmup',
  warmUpSteps: 10,
  numCycles: 1,
  pctTraj: 1,
  probGoFromEnd: 0,
  seed: 4,
  ...overrides,
});

describe('Trainer', () => {
  it('learns a tiny memory task in seconds', () => {
    const trainer = new Trainer(cueDataset(64, 1), config(), new TsGemm());
    const first = trainer.trainStep();
    expect(first.loss).toBeGreaterThan(0.9 * Math.log(3));
    let last = first;
    while (trainer.step < 120) last = trainer.trainStep();
    expect(last.loss).toBeLessThan(0.05);
    expect(last.accuracy).toBe(1);
  });

  it('gives the same model twice for a fixed seed, and a different one for another seed', () => {
    const run = (seed: number) => {
      const t = new Trainer(cueDataset(16, 2), config({ seed, steps: 5 }), new TsGemm());
      for (let i = 0; i < 5; i++) t.trainStep();
      return t.checkpoint().weights.get('transformer.blocks.0.attn.W_Q')!.data;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('with a fused core trains the same weights and serves its hook-free runs from the core', () => {
    const ort = new OrtFusedCore();
    const core = countingCore(ort);
    const ds = cueDataset(16, 5);
    const plain = new Trainer(ds, config({ steps: 4 }), new TsGemm());
    const fused = new Trainer(ds, config({ steps: 4 }), new TsGemm(), undefined, core);
    for (let i = 0; i < 4; i++) {
      plain.trainStep();
      fused.trainStep();
    }
    expect(core.served).toBe(0);
    for (const [name, t] of plain.checkpoint().weights)
      expect(fused.checkpoint().weights.get(name)!.data, name).toEqual(t.data);
    const { inputs } = fused.sampler.sample(8, npRandom(1));
    const viaCore = fused.model.run(inputs).actionPreds!;
    expect(core.served).toBe(1);
    const viaTs = plain.model.run(inputs).actionPreds!;
    expectClose(viaCore.data, viaTs.data, 5e-6, { metric: 'abs' });
    ort.dispose();
  });

  it('resumes from a training-state file exactly where an uninterrupted run would be', () => {
    const ds = cueDataset(16, 3);
    const straight = new Trainer(ds, config({ steps: 6 }), new TsGemm());
    for (let i = 0; i < 6; i++) straight.trainStep();
    const first = new Trainer(ds, config({ steps: 6 }), new TsGemm());
    for (let i = 0; i < 3; i++) first.trainStep();
    const saved = readTrainingState(writeTrainingState(first.state(), config({ steps: 6 })));
    expect(saved.state.step).toBe(3);
    const resumed = new Trainer(ds, saved.config, new TsGemm(), saved.state);
    for (let i = 0; i < 3; i++) resumed.trainStep();
    for (const [name, t] of straight.checkpoint().weights)
      expect(resumed.checkpoint().weights.get(name)!.data, name).toEqual(t.data);
  });
});

describe('initialisation (dti_spec.md §1.10)', () => {
  it('draws weights N(0, 0.02), zero biases, unit LN weights and the causal mask buffers', () => {
    const ckpt = initialCheckpoint(
      { ...DEFAULT_MODEL_CONFIG, nCtx: 5, layerNorm: 'LN' },
      { ...DEFAULT_ENV_CONFIG, maxSteps: 50 },
      3,
      [7, 7, 3],
      1,
    );
    const data = (n: string) => ckpt.weights.get(n)!.data as Float32Array;
    const w = data('transformer.blocks.0.attn.W_Q');
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(data('transformer.blocks.0.attn.b_Q').every((v) => v === 0)).toBe(true);
    expect(data('transformer.blocks.1.ln2.w').every((v) => v === 1)).toBe(true);
    expect(data('transformer.ln_final.b').every((v) => v === 0)).toBe(true);
    expect(data('transformer.blocks.0.attn.IGNORE')[0]).toBe(-100000);
    expect([...(ckpt.weights.get('transformer.blocks.0.attn.mask')!.data as Uint8Array)]).toEqual([
      1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1,
    ]);
    expect(ckpt.weights.get('time_embedding.weight')!.shape).toEqual([51, 128]);
  });
});

describe('AdamW', () => {
  it('takes the hand-computed first step, with weight decay only in the decay group', () => {
    const params = [
      { name: 'w', data: Float32Array.from([1]), shape: [1], decay: true },
      { name: 'b', data: Float32Array.from([1]), shape: [1], decay: false },
    ];
    const opt = new AdamW(params, { weightDecay: 0.1 });
    opt.update(
      new Map([
        ['w', Float32Array.from([0.5])],
        ['b', Float32Array.from([0.5])],
      ]),
      0.1,
    );
    // bias-corrected m = 0.5, v = 0.25: step = lr * 0.5 / 0.5 = 0.1; decay multiplies by 1 - lr * wd = 0.99
    expect(params[0].data[0]).toBeCloseTo(0.89, 6);
    expect(params[1].data[0]).toBeCloseTo(0.9, 6);
  });
});

describe('learning-rate schedules', () => {
  const base = { lr: 1, lrEnd: 0, warmUpSteps: 4, totalSteps: 12, numCycles: 1 };
  it('warms up linearly then stays constant', () => {
    const s = { ...base, name: 'ConstantWithWarmUp' as const };
    expect([0, 1, 3, 4, 11].map((k) => learningRate(s, k))).toEqual([0.25, 0.5, 1, 1, 1]);
  });
  it('anneals by a cosine to lr_end, with restarts', () => {
    const s = { ...base, name: 'CosineAnnealingWarmup' as const };
    // lr_end + (lr - lr_end)/2 · (1 + cos(pi · progress)), progress = (step - 4) / 8
    expect(learningRate(s, 4)).toBe(1);
    expect(learningRate(s, 6)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 15);
    expect(learningRate(s, 8)).toBeCloseTo(0.5, 15);
    expect(learningRate(s, 10)).toBeCloseTo((1 - Math.SQRT1_2) / 2, 15);
    expect(learningRate(s, 12)).toBe(0);
    expect(learningRate({ ...s, lrEnd: 0.2 }, 8)).toBeCloseTo(0.6, 15);
    // two cycles: progress 0.25 is the middle of the first, 0.5 restarts at lr
    const two = { ...s, numCycles: 2 };
    expect(learningRate(two, 6)).toBeCloseTo(0.5, 15);
    expect(learningRate(two, 8)).toBe(1);
    expect(learningRate(two, 11)).toBeCloseTo((1 - Math.SQRT1_2) / 2, 15);
  });
});
