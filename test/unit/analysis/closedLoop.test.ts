/**
 * Closed-loop interventions on the committed MemoryS7 model: the "none" condition reproduces the plain
 * evaluation, a zero steering coefficient is an exact no-op, conditions batched together equal the same
 * conditions played alone, results are reproducible from their seeds, and a head ablation changes
 * behaviour only through the model. Steering vectors: a saved direction of the wrong width and an empty
 * coefficient list are typed errors; the dataset-mean difference equals the means computed window by
 * window. Wilson intervals match published values.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ClosedLoopCondition, closedLoopRollouts } from '../../../src/analysis/causal/closedLoop.ts';
import { meanInterval, wilson } from '../../../src/analysis/causal/stats.ts';
import {
  directionVector,
  meanDifferenceVector,
  pairSteeringVector,
  randomLike,
  steeringConditions,
} from '../../../src/analysis/causal/steeringVectors.ts';
import { labelledWindowsFromRollouts } from '../../../src/analysis/causal/windows.ts';
import { DtlensError } from '../../../src/errors.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { selectWindow } from '../../../src/model/inputs.ts';
import { createModel } from '../../../src/model/load.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { evaluateAtRtg } from '../../../src/train/rollout.ts';

const file = fileURLToPath(
  new URL('../../../models/MiniGrid-MemoryS7FixedStart-v0.safetensors', import.meta.url),
);
const ckpt = loadCheckpoint(new Uint8Array(readFileSync(file)));
const model = createModel(ckpt, { weights: 'raw', gemm: new TsGemm() });
const P = 3 * model.maxLen - 1;
const base = { env: ckpt.env, episodes: 4, seed: 3, targetRtg: 0.9, maxEpisodeSteps: 12 };
const hook = 'blocks.1.hook_resid_pre';
const direction = Array.from({ length: model.arch.dModel }, (_, i) => Math.sin(i));

const strip = (r: Awaited<ReturnType<typeof closedLoopRollouts>>) =>
  r.conditions.map((c) => ({ label: c.label, episodes: c.episodes }));

describe('statistics', () => {
  it('Wilson intervals match published values; means get a normal interval', () => {
    const w = wilson(5, 10);
    expect(w.estimate).toBe(0.5);
    expect(w.low).toBeCloseTo(0.2366, 4);
    expect(w.high).toBeCloseTo(0.7634, 4);
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(0, 10).high).toBeCloseTo(0.2775, 4);
    expect(wilson(10, 10).high).toBeCloseTo(1, 12);
    const m = meanInterval([1, 2, 3, 4]);
    expect(m.estimate).toBe(2.5);
    expect(m.high - m.estimate).toBeCloseTo((1.959964 * Math.sqrt(5 / 3)) / 2, 5);
  });
});

describe('closed-loop rollouts', () => {
  const steering = directionVector(model, hook, direction, P);
  const exp = steeringConditions(model, steering, [0, 3], { seed: 2 });

  it('none = the plain evaluation, coefficient 0 = none, batched = alone, reproducible', async () => {
    const ablate: ClosedLoopCondition = {
      label: 'zero L0 heads',
      row: [{ hook: 'blocks.0.attn.hook_z', op: { kind: 'zero' } }],
    };
    const conditions = [...exp.conditions, ablate];
    expect(conditions.map((c) => c.label)).toEqual([
      'none',
      'steer 0',
      'random 0',
      'flipped 0',
      'steer 3',
      'random 3',
      'flipped 3',
      'zero L0 heads',
    ]);
    const all = await closedLoopRollouts(model, conditions, { ...base, sources: exp.sources, chunkRows: 18 });
    const plain = evaluateAtRtg(model, 0.9, { env: ckpt.env, episodes: 4, seed: 3, maxEpisodeSteps: 12 });
    const none = all.conditions[0];
    expect(none.episodes.map((e) => e.return)).toEqual(plain.returns);
    expect(none.successRate.estimate).toBe(plain.successRate);
    for (const k of [1, 2, 3]) expect(all.conditions[k].episodes).toEqual(none.episodes);
    // Batched with others = played alone.
    for (const k of [5, 7]) {
      const alone = await closedLoopRollouts(model, [conditions[k]], { ...base, sources: exp.sources });
      expect(alone.conditions[0].episodes, conditions[k].label).toEqual(all.conditions[k].episodes);
    }
    const again = await closedLoopRollouts(model, conditions, { ...base, sources: exp.sources });
    expect(strip(again)).toEqual(strip(all));
    // The ablation changes behaviour (otherwise the comparisons above prove nothing).
    expect(all.conditions[7].episodes).not.toEqual(none.episodes);
    for (const c of all.conditions) {
      const counts = c.episodes.filter((e) => e.choice === 'matching').length;
      expect(c.choices.matching.estimate).toBe(counts / 4);
      expect(c.successRate.low).toBeLessThanOrEqual(c.successRate.estimate);
    }
  }, 120_000);

  it('controls: the random vector has the steered norm; flipped is the negated coefficient', () => {
    const r = randomLike(steering, 4);
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    expect(norm(r.vector.data)).toBeCloseTo(norm(steering.vector.data), 3);
    expect(exp.norm).toBeCloseTo(norm(steering.vector.data), 3);
    const flipped = exp.conditions.find((c) => c.label === 'flipped 3')!.row[0].op;
    expect(flipped).toEqual({ kind: 'add', coefficient: -3, vector: { source: 'steer' } });
  });

  it('rejects a steering vector of the wrong width, an empty coefficient list and bad interventions', async () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(DtlensError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err(() => directionVector(model, hook, [1, 2, 3], P))).toMatch(/has 3 values; .* needs 128/);
    expect(err(() => steeringConditions(model, steering, []))).toMatch(/coefficient range is empty/);
    await expect(
      closedLoopRollouts(
        model,
        [{ label: 'x', row: [{ hook: 'blocks.7.hook_resid_pre', op: { kind: 'zero' } }] }],
        base,
      ),
    ).rejects.toThrow(/unknown hook point/);
    await expect(closedLoopRollouts(model, [], base)).rejects.toThrow(DtlensError);
  });
});

describe('steering vectors from a pair', () => {
  it('are corrupted − clean at the hook, position by position; an unknown hook is refused', () => {
    const windows = labelledWindowsFromRollouts(model, {
      env: ckpt.env,
      seeds: [0, 1],
      targetRtg: 0.9,
      maxEpisodeSteps: 3,
    });
    const hook = 'blocks.1.hook_resid_pre';
    const clean = selectWindow(windows.inputs, 0);
    const corrupted = selectWindow(windows.inputs, windows.features.length - 1);
    const v = pairSteeringVector(model, clean, corrupted, hook);
    const at = (w: typeof clean) => model.run(w, { cache: [hook] }).cache!.get(hook);
    const [a, b] = [at(clean), at(corrupted)];
    expect(v.hook).toBe(hook);
    expect(v.vector.shape).toEqual(a.shape.slice(1));
    v.vector.data.forEach((x, i) => expect(x).toBe(Math.fround(b.data[i] - a.data[i])));
    expect(v.vector.data.some((x) => x !== 0)).toBe(true);
    expect(() => pairSteeringVector(model, clean, corrupted, 'blocks.7.hook_resid_pre')).toThrow(DtlensError);
  });
});

describe('steering vectors from dataset means', () => {
  it('equal the per-condition means computed window by window', async () => {
    const windows = labelledWindowsFromRollouts(model, {
      env: ckpt.env,
      seeds: [0, 1, 2, 3],
      targetRtg: 0.9,
      maxEpisodeSteps: 8,
    });
    const n = windows.features.length;
    expect(new Set(windows.features.map((f) => f.instruction))).toEqual(new Set(['key', 'ball']));
    const isBall = (f: { instruction: string }) => f.instruction === 'ball';
    const v = await meanDifferenceVector(model, windows, hook, isBall, (f) => !isBall(f), { chunkRows: 5 });
    const sum = { ball: new Float64Array(v.vector.size), key: new Float64Array(v.vector.size) };
    const count = { ball: 0, key: 0 };
    for (let i = 0; i < n; i++) {
      const act = model.run(selectWindow(windows.inputs, i), { cache: [hook] }).cache!.get(hook).data;
      const k = isBall(windows.features[i]) ? 'ball' : 'key';
      count[k]++;
      act.forEach((x, j) => (sum[k][j] += x));
    }
    v.vector.data.forEach((x, j) =>
      expect(x).toBeCloseTo(sum.ball[j] / count.ball - sum.key[j] / count.key, 4),
    );
    const avg = await meanDifferenceVector(model, windows, hook, isBall, (f) => !isBall(f), {
      averagePositions: true,
    });
    expect(avg.vector.shape).toEqual(v.vector.shape);
    expect(avg.vector.data[5]).toBeCloseTo(avg.vector.data[(P - 1) * model.arch.dModel + 5], 6);
  }, 60_000);
});
