/**
 * Closed-loop interventions on features, on the committed MemoryS7 model: a zero steering coefficient
 * along a probe direction and an SAE decoder direction is an exact no-op, conditions batched together
 * equal the same conditions played alone, runs are reproducible from their seeds; the SAE edit hook acts
 * only on its condition's batch rows; verdicts compare against `none` and the control.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closedLoopRollouts } from '../../../src/analysis/causal/closedLoop.ts';
import { wilson } from '../../../src/analysis/causal/stats.ts';
import {
  featureRollouts,
  kindPositions,
  probeSteeringVector,
  saeDecoderVector,
  saeEditExperiment,
  steeringExperiment,
  verdicts,
} from '../../../src/analysis/features/featureRollouts.ts';
import { initSae } from '../../../src/analysis/features/sae.ts';
import { saeHook } from '../../../src/analysis/features/saeSplice.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';

const file = fileURLToPath(
  new URL('../../../models/MiniGrid-MemoryS7FixedStart-v0.safetensors', import.meta.url),
);
const ckpt = loadCheckpoint(new Uint8Array(readFileSync(file)));
const model = createModel(ckpt, { weights: 'raw', gemm: new TsGemm() });
const P = 3 * model.maxLen - 1;
const d = model.arch.dModel;
const base = { env: ckpt.env, episodes: 3, seed: 5, targetRtg: 0.9, maxEpisodeSteps: 10 };
const hook = 'blocks.1.hook_resid_pre';
const episodesOf = (r: Awaited<ReturnType<typeof closedLoopRollouts>>, label: string) =>
  r.conditions.find((c) => c.label === label)!.episodes;

describe('feature steering vectors', () => {
  const W = Float32Array.from({ length: d * 2 }, (_, i) => Math.sin(i));
  const probe = {
    hook,
    label: 'instruction',
    classes: ['key', 'ball'],
    W,
    b: new Float32Array(2),
    meanNorm: 4,
  };

  it('a probe direction sits at every token of its kind with the probe norm', () => {
    const v = probeSteeringVector(model, probe, 'ball', 'S');
    expect(v.positions).toEqual(kindPositions('S', P));
    expect(kindPositions('S', 5)).toEqual([1, 4]);
    const at = v.vector.data.subarray(v.positions![0] * d, (v.positions![0] + 1) * d);
    expect(Math.hypot(...at)).toBeCloseTo(4, 4);
    // Raising "ball" against the mean of the classes: along W[:, ball] − W[:, key].
    const diff = Array.from({ length: d }, (_, j) => W[j * 2 + 1] - W[j * 2]);
    const cos = diff.reduce((a, x, j) => a + x * at[j], 0) / (Math.hypot(...diff) * 4);
    expect(cos).toBeCloseTo(1, 5);
    expect(() => probeSteeringVector(model, probe, 'door', 'S')).toThrow(/not a class of instruction/);
  });

  it('steering: coefficient 0 = none, batched = alone, reproducible', async () => {
    const exp = steeringExperiment(model, probeSteeringVector(model, probe, 'ball', 'S'), [0, 6], {
      seed: 1,
    });
    const all = await featureRollouts(model, exp, { ...base, chunkRows: 9 });
    expect(episodesOf(all, 'steer 0')).toEqual(episodesOf(all, 'none'));
    expect(episodesOf(all, 'flipped 0')).toEqual(episodesOf(all, 'none'));
    expect(episodesOf(all, 'steer 6')).not.toEqual(episodesOf(all, 'none'));
    const alone = await closedLoopRollouts(model, [exp.conditions[4]], { ...base, sources: exp.sources });
    expect(alone.conditions[0].episodes).toEqual(episodesOf(all, 'steer 6'));
    const again = await featureRollouts(model, exp, base);
    expect(again.conditions.map((c) => c.episodes)).toEqual(all.conditions.map((c) => c.episodes));
    expect(all.verdicts.map((v) => [v.condition, v.control])).toEqual([
      ['steer 0', 'random 0'],
      ['flipped 0', 'random 0'],
      ['steer 6', 'random 6'],
      ['flipped 6', 'random 6'],
    ]);
    expect(all.verdicts[0]).toMatchObject({ delta: 0, follows: false });
  }, 120_000);
});

describe('SAE feature interventions', () => {
  const sae = initSae({ kind: 'topk', dIn: d, dOut: d, latents: 16, k: 4, l1: 0 }, 3);

  it('the edit hook acts only on its batch rows, as if the row ran alone', () => {
    const x = new Tensor(
      Float32Array.from({ length: 2 * 3 * d }, (_, i) => Math.cos(i * 0.37)),
      [2, 3, d],
    );
    const edits = [{ latent: 2, op: 'clamp' as const, value: 5 }];
    const both = x.clone();
    saeHook(model.gemm, sae, hook, { mode: 'edit', edits, rows: [1] }).fn(both, { name: hook });
    expect(both.data.subarray(0, 3 * d)).toEqual(x.data.subarray(0, 3 * d));
    const alone = new Tensor(x.data.slice(3 * d), [1, 3, d]);
    saeHook(model.gemm, sae, hook, { mode: 'edit', edits }).fn(alone, { name: hook });
    expect(both.data.subarray(3 * d)).toEqual(alone.data);
    expect(alone.data).not.toEqual(x.data.subarray(3 * d));
  });

  it('add 0 along the decoder is a no-op; clamp batched = alone; reproducible', async () => {
    const add = steeringExperiment(model, saeDecoderVector(model, sae, hook, 2, 'S'), [0], {
      controls: false,
    });
    const added = await featureRollouts(model, add, base);
    expect(episodesOf(added, 'steer 0')).toEqual(episodesOf(added, 'none'));
    const clamp = saeEditExperiment(model, sae, hook, 2, 'clamp', [0, 60], 'S', { seed: 4 });
    expect(clamp.conditions.map((c) => c.label)).toEqual([
      'none',
      'clamp 2=0',
      expect.stringMatching(/^control clamp \d+=0$/),
      'clamp 2=60',
      expect.stringMatching(/^control clamp \d+=60$/),
    ]);
    const all = await featureRollouts(model, clamp, { ...base, chunkRows: 6 });
    expect(episodesOf(all, 'none')).toEqual(episodesOf(added, 'none'));
    // The clamp changes behaviour (otherwise batched = alone proves nothing).
    expect(episodesOf(all, 'clamp 2=60')).not.toEqual(episodesOf(all, 'none'));
    const alone = await closedLoopRollouts(model, [clamp.conditions[3]], base);
    expect(alone.conditions[0].episodes).toEqual(episodesOf(all, 'clamp 2=60'));
    const again = await featureRollouts(model, clamp, base);
    expect(again.conditions.map((c) => c.episodes)).toEqual(all.conditions.map((c) => c.episodes));
    expect(() => saeEditExperiment(model, sae, hook, 16, 'zero', [], 'S')).toThrow(/outside the SAE's 0..15/);
    expect(() => saeEditExperiment(model, sae, hook, 1, 'clamp', [], 'S')).toThrow(/at least one value/);
  }, 120_000);
});

describe('verdicts', () => {
  const cond = (label: string, k: number) => ({
    label,
    successRate: wilson(k, 40),
    meanReturn: wilson(0, 1),
    meanLength: 0,
    choices: { matching: wilson(0, 1), other: wilson(0, 1), none: wilson(0, 1) },
    episodes: [],
  });
  const result = {
    targetRtg: 1,
    episodes: 40,
    seed: 0,
    conditions: [
      cond('none', 20),
      cond('a', 38),
      cond('ctrl a', 21),
      cond('b', 38),
      cond('ctrl b', 39),
      cond('c', 23),
    ],
  };

  it('behaviour follows when the interval leaves none and the control stays', () => {
    const v = verdicts(result, [
      ['a', 'ctrl a'],
      ['b', 'ctrl b'],
      ['c', null],
    ]);
    expect(v.map((x) => x.follows)).toEqual([true, false, false]);
    expect(v[0].delta).toBeCloseTo(18 / 40, 12);
    expect(v[0].controlDelta).toBeCloseTo(1 / 40, 12);
    expect(() => verdicts({ ...result, conditions: result.conditions.slice(1) }, [])).toThrow(/"none"/);
  });
});
