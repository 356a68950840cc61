/**
 * Window datasets and the analyses over them: the file round-trips and is validated, rollout windows
 * are the windows the greedy model acted on, norms equal hand-computed ones, kurtosis of known
 * distributions and rotation invariance, head types of hand-built patterns, the policy field at the
 * agent's own pose, typed errors.
 */
import { Matrix, QrDecomposition } from 'ml-matrix';
import { isRealPosition } from '../../../src/analysis/scans/datasetRun.ts';
import { describe, expect, it } from 'vitest';
import {
  excessKurtosis,
  kurtosisScan,
  randomRotation,
  residualNorms,
} from '../../../src/analysis/scans/cacheStats.ts';
import { headTypes, headTypesFromPatterns, windowHeadTypes } from '../../../src/analysis/scans/headTypes.ts';
import {
  checkDatasetFits,
  readWindowDataset,
  windowsFromEpisodes,
  windowsFromRollouts,
  writeWindowDataset,
} from '../../../src/analysis/scans/windowDataset.ts';
import { makeDtiEnv, npRandom } from '../../../src/env/index.ts';
import { policyField } from '../../../src/analysis/scans/policyField.ts';
import { type WindowArrays, writeWindow } from '../../../src/train/sampler.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { DtlensError } from '../../../src/errors.ts';
import { expectClose } from '../../support/compare.ts';
import type { RawTensor } from '../../../src/io/rawTensor.ts';
import { writeSafetensors, readSafetensors } from '../../../src/io/safetensors.ts';
import { DEFAULT_ENV_CONFIG } from '../../../src/config/config.ts';
import { selectWindow } from '../../../src/model/inputs.ts';
import { collectDemonstrations } from '../../../src/train/collect.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';

const ENV = { ...DEFAULT_ENV_CONFIG, envId: 'MiniGrid-Empty-5x5-v0', viewSize: 3, maxSteps: 12 };
/** A tiny model fitting the Empty-5x5 env with a 3x3 view: obs [3, 3, 3], 3 timesteps. */
const arch = tinyArch({ obsShape: [3, 3, 3], nActions: 7 });
const model = randomModel(arch, { variant: 'processed' });
const rollouts = () =>
  windowsFromRollouts(model, { env: ENV, seed: 3, episodes: 2, rtgs: [0, 1], maxEpisodeSteps: 5 });

describe('window datasets', () => {
  it('rollout windows are what the greedy model acted on; the file round-trips', async () => {
    const ds = await rollouts();
    const [N, T] = ds.inputs.states.shape;
    expect(N).toBe(2 * 2 * 5); // 2 RTGs x 2 episodes x 5 steps (capped)
    expect(T).toBe(3);
    expect([...new Set(ds.episode)]).toEqual([0, 1, 2, 3]);
    const preds = model.run(ds.inputs).actionPreds!; // [N, T, A]
    let checked = 0;
    for (let w = 0; w + 1 < N; w++) {
      if (ds.episode[w + 1] !== ds.episode[w]) continue;
      checked++;
      const last = preds.data.subarray((w * T + T - 1) * 7, (w * T + T) * 7);
      const greedy = last.indexOf(Math.max(...last));
      expect(ds.inputs.actions![(w + 1) * (T - 1) + T - 2]).toBe(greedy); // the next window's last input action
    }
    expect(checked).toBe(N - 4);
    expect(Array.from(ds.firstReal.slice(0, 3))).toEqual([2, 1, 0]);
    const back = readWindowDataset(writeWindowDataset(ds));
    expect(back.inputs.states.data).toEqual(ds.inputs.states.data);
    expect(back.inputs.actions).toEqual(ds.inputs.actions);
    expect(back.inputs.rtgs).toEqual(ds.inputs.rtgs);
    expect(Array.from(back.inputs.timesteps)).toEqual(Array.from(ds.inputs.timesteps));
    expect(back.firstReal).toEqual(ds.firstReal);
    expect(back.env.envId).toBe(ENV.envId);
  });

  it('reports progress in episode steps up to RTGs x the step cap, never backwards; yields and cancels per step', async () => {
    const seen: [number, number][] = [];
    let yields = 0;
    const ds = await windowsFromRollouts(
      model,
      { env: ENV, seed: 3, episodes: 2, rtgs: [0, 1], maxEpisodeSteps: 5 },
      { onProgress: (done, total) => seen.push([done, total]), yieldToEvents: async () => void yields++ },
    );
    const plain = await rollouts();
    expect(ds.inputs.states.data).toEqual(plain.inputs.states.data);
    expect(ds.inputs.actions).toEqual(plain.inputs.actions);
    expect(yields).toBe(10); // one per batched step: 2 RTGs x 5 steps
    const controller = new AbortController();
    const cancelled = windowsFromRollouts(
      model,
      { env: ENV, seed: 3, episodes: 2, rtgs: [0, 1], maxEpisodeSteps: 5 },
      { signal: controller.signal, onProgress: (done) => done >= 2 && controller.abort() },
    );
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen.every(([, total]) => total === 10)).toBe(true);
    expect(seen.at(-1)![0]).toBe(10);
    expect(seen.map(([d]) => d)).toEqual([...seen.map(([d]) => d)].sort((a, b) => a - b));
    expect(seen.some(([d]) => d === 5)).toBe(true); // the end of the first RTG
  });

  it('epsilon rollouts are seeded; expert episodes give one window per step with RTG = return-to-go', async () => {
    const a = await windowsFromRollouts(model, {
      env: ENV,
      seed: 1,
      episodes: 2,
      rtgs: [1],
      epsilon: 0.5,
      maxEpisodeSteps: 6,
    });
    const b = await windowsFromRollouts(model, {
      env: ENV,
      seed: 1,
      episodes: 2,
      rtgs: [1],
      epsilon: 0.5,
      maxEpisodeSteps: 6,
    });
    expect(a.inputs.actions).toEqual(b.inputs.actions);
    const demos = collectDemonstrations({
      env: ENV,
      episodes: 3,
      policy: 'expert',
      epsilon: 0,
      wrongFraction: 0,
      randomFraction: 0,
      seed: 2,
    });
    const ds = windowsFromEpisodes(demos, 3);
    expect(ds.inputs.states.shape[0]).toBe(demos.episodes.reduce((n, e) => n + e.actions.length, 0));
    const ret = demos.episodes[0].rewards.reduce((s, r) => s + r, 0);
    expect(ds.inputs.rtgs[2]).toBeCloseTo(ret, 6); // first window's real (last) timestep: full return
    expect(ds.targetRtg[0]).toBeCloseTo(ret, 6);
  });

  it('rejects files that are not window datasets, corrupt ones and datasets of another model shape', async () => {
    const bytes = writeWindowDataset(await rollouts());
    const { tensors, metadata } = readSafetensors(bytes);
    const rewrite = (change: (t: Map<string, RawTensor>, m: Record<string, string>) => void) => {
      const t = new Map(tensors);
      const m = { ...metadata };
      change(t, m);
      return writeSafetensors(Object.fromEntries(t), m);
    };
    expect(() => readWindowDataset(rewrite((_, m) => delete m['dtlens.windows']))).toThrow(
      /not a dtlens window dataset/,
    );
    expect(() =>
      readWindowDataset(
        rewrite((t) =>
          t.set('windows.first_real', { ...t.get('windows.first_real')!, data: new Int32Array(20).fill(9) }),
        ),
      ),
    ).toThrow(/first_real 9 is outside/);
    expect(() => readWindowDataset(rewrite((t) => t.delete('inputs.rtgs')))).toThrow(DtlensError);
    const other = randomModel(tinyArch({ obsShape: [3, 3, 3], nActions: 7, nCtx: 11 }));
    expect(() => checkDatasetFits(other, readWindowDataset(bytes))).toThrow(/another model's shape/);
  });
});

describe('cache characterisation', () => {
  it('norms: mean and std over real tokens equal the hand-computed values', async () => {
    const ds = await rollouts();
    const r = await residualNorms(model, ds, { chunkRows: 7 });
    const N = ds.inputs.states.shape[0];
    const run = model.run(ds.inputs, { cache: ['blocks.1.hook_resid_mid', 'blocks.0.hook_mlp_out'] });
    const check = (hook: string, stats: typeof r.states, label: string) => {
      const x = run.cache!.get(hook).data;
      const i = stats.labels.indexOf(label);
      for (const p of [0, 4, 7]) {
        const vals: number[] = [];
        for (let w = 0; w < N; w++)
          if (Math.floor(p / 3) >= ds.firstReal[w])
            vals.push(Math.hypot(...x.subarray((w * 8 + p) * 8, (w * 8 + p + 1) * 8)));
        const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
        const std = Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length);
        expect(stats.count[p]).toBe(vals.length);
        expect(stats.mean[i][p]).toBeCloseTo(mean, 5);
        expect(stats.std[i][p]).toBeCloseTo(std, 4);
      }
    };
    check('blocks.1.hook_resid_mid', r.states, '1_mid');
    check('blocks.0.hook_mlp_out', r.components, '0_mlp_out');
    expect(r.components.labels).toEqual([
      'embed',
      'pos_embed',
      '0_attn_out',
      '0_mlp_out',
      '1_attn_out',
      '1_mlp_out',
      'L0H0',
      'L0H1',
      'L1H0',
      'L1H1',
    ]);
    expect(r.states.count[0]).toBe(N - 2 * 4); // R1 is padding in the first two windows of each episode
  });

  it('excess kurtosis of known distributions by hand', () => {
    expect(excessKurtosis([1, -1, 1, -1], 0, 4)).toBeCloseTo(-2, 12); // two-point: kurtosis 1
    expect(excessKurtosis([1, 0, 0, 0], 0, 4)).toBeCloseTo(7 / 3 - 3, 12); // one-hot of d: (d²-3d+3)/(d-1)
    const n = 1000;
    const uniform = Array.from({ length: n }, (_, i) => i);
    expect(excessKurtosis(uniform, 0, n)).toBeCloseTo((-6 * (n * n + 1)) / (5 * (n * n - 1)), 9);
    expect(excessKurtosis([2, 2, 2], 0, 3)).toBeNaN();
    const rng = npRandom(4);
    const gauss = Array.from(
      { length: 200000 },
      () => Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random()),
    );
    expect(Math.abs(excessKurtosis(gauss, 0, gauss.length))).toBeLessThan(0.05);
  });

  it('kurtosis samples the tokens a run over every window would (it runs only the sampled windows)', async () => {
    const ds = await rollouts();
    const r = await kurtosisScan(model, ds, { rotations: 1, seed: 3, maxTokens: 40 });
    const [N, T] = ds.inputs.states.shape;
    const keep = 40 / (N * 3 * T);
    const all = model.run(ds.inputs, { cache: true });
    const P = all.transformerOut.shape[1];
    const rng = npRandom(3);
    const picked: number[] = []; // b * P + p
    for (let b = 0; b < N; b++)
      for (let p = 0; p < P; p++) if (isRealPosition(ds, b, p) && rng.random() < keep) picked.push(b * P + p);
    expect(new Set(picked.map((bp) => Math.floor(bp / P))).size).toBeLessThan(N);
    for (const h of r.hooks) {
      const t = all.cache!.get(h.hook);
      const k = picked.map((bp) => excessKurtosis(t.data, bp * h.width, h.width));
      expect(h.tokens).toBe(picked.length);
      expect(h.excess).toBeCloseTo(k.reduce((a, v) => a + v, 0) / k.length, 5);
    }
  });

  it('random rotations are orthogonal; a one-hot basis is privileged, a rotated one is not', async () => {
    const rng = npRandom(1);
    const d = 16;
    const R = randomRotation(d, () => rng.random());
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += R[i * d + k] * R[j * d + k];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    // The Gram-Schmidt Q is the Householder Q (ml-matrix) with R's diagonal signs folded in.
    const draws = npRandom(5);
    const g = Array.from({ length: 24 * 24 }, () => [draws.random(), draws.random()]);
    const replay = g.flat();
    const gram = randomRotation(24, () => replay.shift()!);
    const u = g.map(([a, b]) => Math.sqrt(-2 * Math.log(1 - a)) * Math.cos(2 * Math.PI * b));
    const qr = new QrDecomposition(Matrix.from1DArray(24, 24, u));
    const [q, rr] = [qr.orthogonalMatrix, qr.upperTriangularMatrix];
    const householder = Array.from({ length: 24 * 24 }, (_, k) => {
      const [i, j] = [Math.floor(k / 24), k % 24];
      return q.get(i, j) * Math.sign(rr.get(j, j));
    });
    expectClose(gram, householder, 1e-6, { metric: 'abs' });
    const ds = await rollouts();
    const r = await kurtosisScan(model, ds, { rotations: 3, seed: 2, maxTokens: 64 });
    const again = await kurtosisScan(model, ds, { rotations: 3, seed: 2, maxTokens: 64 });
    expect(again).toEqual(r);
    expect(r.hooks.map((h) => h.hook)).toContain('blocks.1.mlp.hook_post');
    for (const h of r.hooks) {
      expect(h.rotated.values).toHaveLength(3);
      expect(h.tokens).toBeGreaterThan(10);
      expect(h.privileged).toBe(h.excess > h.rotated.max);
      expect(h.width).toBe(h.hook.endsWith('hook_post') && h.hook.includes('mlp') ? 12 : 8);
    }
    await expect(kurtosisScan(model, ds, { rotations: 0 })).rejects.toThrow(DtlensError);
  });
});

describe('head types', () => {
  it('a hand-built pattern: previous-token, first-token and RTG heads with exact masses', () => {
    // One window of T = 3 (P = 8: R1 S1 A1 R2 S2 A2 R3 S3), one layer of 3 heads.
    const P = 8;
    const H = 3;
    const pattern = new Float32Array(H * P * P);
    for (let q = 0; q < P; q++) {
      pattern[(0 * P + q) * P + Math.max(0, q - 1)] = 1; // head 0: previous token (itself at q = 0)
      pattern[(1 * P + q) * P + 0] = 1; // head 1: first token
      const rtgKey = 3 * Math.floor(q / 3); // head 2: the R token of its timestep
      pattern[(2 * P + q) * P + rtgKey] = 1;
    }
    const rtgs = Float32Array.from([0.9, 0.9, 0]); // R3 has RTG 0
    const r = headTypesFromPatterns([pattern], { B: 1, H, P, T: 3 }, rtgs);
    expect(r.types).toEqual(['previous', 'first', 'same-step']);
    const S = r.queryKinds.indexOf('S');
    const cat = (c: string) => r.categories.indexOf(c as never);
    expect(r.mass[0][S][cat('previous')]).toBe(1);
    expect(r.mass[2][S][cat('rtg')]).toBe(1);
    // S queries: S1, S2 read R1, R2 (RTG 0.9 > 0); S3 reads R3 (RTG 0): 2/3 on RTG > 0.
    expect(r.mass[2][S][cat('rtg>0')]).toBeCloseTo(2 / 3, 12);
    expect(r.std[2][S][cat('rtg>0')]).toBeCloseTo(Math.sqrt(2 / 9), 12);
    expect(r.queries).toEqual([3, 3, 2]);
    // Every query of head 1 except q = 0 puts mass 1 on R1, which is an RTG token: rtg >= first, first wins ties.
    expect(r.mass[1][S][cat('rtg')]).toBe(1);
    expect(headTypesFromPatterns([pattern], { B: 1, H, P, T: 3 }, rtgs, { threshold: 1 }).types[1]).toBe(
      'first',
    );
    expect(() => headTypesFromPatterns([pattern], { B: 1, H, P, T: 3 }, rtgs, { threshold: 0 })).toThrow(
      DtlensError,
    );
  });

  it('over a dataset the masses of each query sum to 1 across R, S and A keys; one window works too', async () => {
    const ds = await rollouts();
    const r = await headTypes(model, ds);
    for (const byKind of r.mass) for (const m of byKind) expect(m[0] + m[2] + m[3]).toBeCloseTo(1, 5); // rtg + state + action
    const one = windowHeadTypes(model, selectWindow(ds.inputs, 5));
    expect(one.heads).toEqual(r.heads);
    expect(one.queries.reduce((a, v) => a + v, 0)).toBe(8);
  });
});

describe('policy field', () => {
  /** A window of the last T steps of a short episode on ENV, and the env in its final state. */
  function history() {
    const env = makeDtiEnv(ENV);
    const frames = [env.reset(5).image.slice()];
    const actions = [2, 1];
    for (const a of actions) frames.push(env.step(a).obs.image.slice());
    const w: WindowArrays = {
      states: new Float32Array(3 * 27),
      actions: new Int32Array(2).fill(7),
      rtgs: new Float32Array(3),
      timesteps: new Int32Array(3),
      targets: new Int32Array(3).fill(7),
      T: 3,
      cell: 27,
    };
    writeWindow(w, 0, 2, { observation: (t) => frames[t], action: (t) => actions[t] ?? 7, rtg: () => 0.9 });
    const window = {
      states: new Tensor(w.states, [1, 3, 3, 3, 3]),
      actions: w.actions,
      rtgs: w.rtgs,
      timesteps: w.timesteps,
    };
    return { env, window };
  }

  it("at the agent's actual pose equals the model's prediction; other poses differ; the env is restored", async () => {
    const { env, window } = history();
    const before = env.snapshot();
    const r = await policyField(model, env, window, { secondRtg: 0 }, { chunkRows: 7 });
    expect(env.snapshot()).toEqual(before);
    expect(r.poses).toHaveLength(9 * 4); // the 3x3 interior of Empty-5x5, four directions
    expect(r.poses[r.agentRow]).toEqual({
      x: before.agentPos[0],
      y: before.agentPos[1],
      dir: before.agentDir,
    });
    const logits = model.run(window).actionPreds!.data.slice(-7);
    const max = Math.max(...logits);
    const z = logits.reduce((s, v) => s + Math.exp(v - max), 0);
    for (let a = 0; a < 7; a++)
      expect(r.probabilities.data[r.agentRow * 7 + a]).toBeCloseTo(Math.exp(logits[a] - max) / z, 6);
    const rows = Array.from({ length: r.poses.length }, (_, i) =>
      Array.from(r.probabilities.data.subarray(i * 7, i * 7 + 7)).join(),
    );
    expect(new Set(rows).size).toBeGreaterThan(1);
    const low = model.run({ ...window, rtgs: new Float32Array(3) }).actionPreds!.data.slice(-7);
    const lowMax = Math.max(...low);
    const lowZ = low.reduce((s, v) => s + Math.exp(v - lowMax), 0);
    expect(r.second!.probabilities.data[r.agentRow * 7]).toBeCloseTo(Math.exp(low[0] - lowMax) / lowZ, 6);
    expect(r.second!.difference.data[3]).toBeCloseTo(
      r.second!.probabilities.data[3] - r.probabilities.data[3],
      7,
    );
  });

  it('rejects a batch of windows and an env whose observations do not fit the model', async () => {
    const { env, window } = history();
    await expect(policyField(model, env, (await rollouts()).inputs)).rejects.toThrow(/one window/);
    const wide = makeDtiEnv({ ...ENV, viewSize: 7 });
    wide.reset(1);
    await expect(policyField(model, wide, window)).rejects.toThrow(/observation has 147 values/);
  });
});
