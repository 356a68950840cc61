/**
 * Probes: a planted linear feature is found (and its direction recovered), shuffled labels and an
 * unrelated label stay inside the chance interval, the sparse probe picks the planted coordinate,
 * environment labels match the env, activations are read at the right token, bad input is typed.
 */
import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { MemoryEnv, makeDtiEnv } from '../../../src/env/index.ts';
import { DEFAULT_ENV_CONFIG } from '../../../src/config/config.ts';
import { lastStatePosition } from '../../../src/model/tokens.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { collectDemonstrations } from '../../../src/train/collect.ts';
import { collectActivations, positionOf, vectorHooks } from '../../../src/analysis/features/activations.ts';
import { PROBE_METHODS, episodeSplit, fitProbes, planProbes } from '../../../src/analysis/features/probe.ts';
import { type ProbeLabel, buildProbeSet } from '../../../src/analysis/features/probeSet.ts';
import { classDirection, probeSteering } from '../../../src/analysis/features/probeSteering.ts';
import { randomInputs, randomModel, seededRandom, tinyArch } from '../../support/randomModel.ts';

const gemm = new TsGemm();

/** N rows of d Gaussian features in episodes of 10 rows. */
function gaussianTable(N: number, d: number, seed: number) {
  const rand = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const data = Float32Array.from({ length: N * d }, gauss);
  const episode = Int32Array.from({ length: N }, (_, i) => Math.floor(i / 10));
  return { data, episode, rand };
}

for (const method of PROBE_METHODS)
  describe(`${method} probes on planted features`, () => {
    const N = 3000;
    const d = 24;
    const { data, episode, rand } = gaussianTable(N, d, 3);
    // A planted direction u (random unit vector) and a planted single coordinate (feature 5).
    const u = Float64Array.from({ length: d }, () => rand() - 0.5);
    const un = Math.hypot(...u);
    const dotU = (i: number) => u.reduce((a, v, j) => a + (v / un) * data[i * d + j], 0);
    const planted: ProbeLabel = {
      name: 'planted',
      classes: ['neg', 'pos'],
      values: Int32Array.from({ length: N }, (_, i) => (dotU(i) > 0 ? 1 : 0)),
    };
    const coordinate: ProbeLabel = {
      name: 'coordinate',
      classes: ['low', 'mid', 'high'],
      values: Int32Array.from({ length: N }, (_, i) => {
        const v = data[i * d + 5];
        return v < -0.5 ? 0 : v < 0.5 ? 1 : 2;
      }),
    };
    const unrelated: ProbeLabel = {
      name: 'unrelated',
      classes: ['a', 'b', 'c'],
      values: Int32Array.from({ length: N }, () => Math.floor(rand() * 3)),
    };
    const table = { hook: 'synthetic', width: d, data };
    const split = episodeSplit(episode, 0.25, 1);
    const { scores, directions } = fitProbes(
      gemm,
      table,
      planProbes([planted, coordinate, unrelated], split, { k: 3, method }),
    );
    const score = (name: string) => scores.find((s) => s.label === name)!;

    it('splits by episode, with no episode on both sides', () => {
      const train = new Set(Array.from(split.train, (r) => episode[r]));
      for (const r of split.test) expect(train.has(episode[r])).toBe(false);
      expect(split.train.length + split.test.length).toBe(N);
    });

    it('finds a planted linear feature and recovers its direction', () => {
      expect(score('planted').accuracy).toBeGreaterThan(0.95);
      const dir = directions.find((p) => p.label === 'planted')!;
      // The raw-unit logit difference pos − neg points along u.
      const w = Array.from({ length: d }, (_, j) => dir.W[j * 2 + 1] - dir.W[j * 2]);
      const cos = w.reduce((a, v, j) => a + v * (u[j] / un), 0) / Math.hypot(...w);
      expect(cos).toBeGreaterThan(0.95);
    });

    it('the sparse probe picks the planted coordinate', () => {
      const s = score('coordinate');
      expect(s.sparse.features[0]).toBe(5);
      expect(s.sparse.accuracy).toBeGreaterThan(0.9);
      expect(s.accuracy).toBeGreaterThan(0.85);
    });

    it('shuffled labels and an unrelated label stay at chance, inside its interval', () => {
      for (const s of scores) {
        expect(s.shuffled).toBeGreaterThanOrEqual(s.chance.low);
        expect(s.shuffled).toBeLessThanOrEqual(s.chance.high);
      }
      const un3 = score('unrelated');
      expect(un3.accuracy).toBeGreaterThanOrEqual(un3.chance.low);
      expect(un3.accuracy).toBeLessThanOrEqual(un3.chance.high);
      // A random 3-dimensional projection keeps only part of the planted coordinate's signal.
      expect(score('coordinate').randomDirections).toBeLessThan(score('coordinate').sparse.accuracy);
    });
  });

describe('probe sets from the environment', () => {
  const env = { ...DEFAULT_ENV_CONFIG, envId: 'MiniGrid-MemoryS7FixedStart-v0', oneHotObs: true };
  const ds = collectDemonstrations({
    env,
    episodes: 6,
    policy: 'expert',
    epsilon: 0.2,
    wrongFraction: 0.5,
    randomFraction: 0,
    seed: 11,
  });
  const set = buildProbeSet(ds, {
    maxLen: 4,
    labels: ['instruction', 'key', 'ball', 'agent_x', 'agent_dir', 'action+0', 'action+1', 'success'],
  });
  const label = (name: string) => set.labels.find((l) => l.name === name)!;

  it('labels match an independent replay of the env', () => {
    const live = makeDtiEnv(env);
    ds.episodes.forEach((e, i) => {
      live.reset(11 + i);
      const raw = live.unwrapped as MemoryEnv;
      const rows = Array.from(set.episode.keys()).filter((r) => set.episode[r] === i);
      expect(rows.length).toBe(e.actions.length);
      for (const r of rows) {
        const t = set.step[r];
        expect(label('instruction').classes[label('instruction').values[r]]).toBe(raw.startObj);
        expect(label('agent_x').values[r]).toBe(raw.agentPos[0]);
        expect(label('agent_dir').values[r]).toBe(raw.agentDir);
        expect(label('action+0').values[r]).toBe(e.actions[t]);
        expect(label('action+1').values[r]).toBe(t + 1 < e.actions.length ? e.actions[t + 1] : -1);
        expect(label('success').values[r]).toBe(e.rewards.some((x) => x > 0) ? 1 : 0);
        live.step(e.actions[t]);
      }
    });
    // At the fixed start the start-room object is in view.
    const first = Array.from(set.step.keys()).find((r) => set.step[r] === 0)!;
    const objectLabel = label('instruction').values[first] === 0 ? 'key' : 'ball';
    expect(label(objectLabel).classes[label(objectLabel).values[first]]).toBe('in view');
  });

  it('a subset keeps the chosen windows of the full set, in order', () => {
    const sub = buildProbeSet(ds, { maxLen: 4, labels: ['action+0'], maxWindows: 9, seed: 3 });
    expect(sub.n).toBe(9);
    const full = Array.from(set.episode.keys());
    const rows = Array.from({ length: 9 }, (_, i) =>
      full.find((r) => set.episode[r] === sub.episode[i] && set.step[r] === sub.step[i])!,
    );
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(sub.inputs(0, 9).states.data).toEqual(
      Float32Array.from(rows.flatMap((r) => Array.from(set.inputs(r, r + 1).states.data))),
    );
    expect(Array.from(sub.labels[0].values)).toEqual(rows.map((r) => label('action+0').values[r]));
  });

  it('windows end at their step with the recorded observation', () => {
    const r = 7;
    const w = set.inputs(r, r + 1);
    const cell = w.states.size / 4;
    const e = ds.episodes[set.episode[r]];
    const t = set.step[r];
    expect(Array.from(w.states.data.subarray(3 * cell))).toEqual(
      Array.from(e.observations.subarray(t * cell, (t + 1) * cell)),
    );
    expect(w.timesteps[3]).toBe(t);
  });

  it('rejects datasets it cannot replay and unknown labels', () => {
    const noSeed = { ...ds, source: {} };
    expect(() => buildProbeSet(noSeed, { maxLen: 4 })).toThrow(/dtlens collect/);
    const tampered = { ...ds, episodes: ds.episodes.map((e) => ({ ...e, actions: e.actions.map(() => 2) })) };
    expect(() => buildProbeSet(tampered, { maxLen: 4 })).toThrow(DtlensError);
    expect(() => buildProbeSet(ds, { maxLen: 4, labels: ['colour'] })).toThrow(/unknown label "colour"/);
    const arch = { ...tinyArch({ nCtx: 11 }), obsShape: [7, 7, 20] as const, nActions: 7 };
    expect(() =>
      buildProbeSet(ds, { maxLen: 4, fits: { model: { arch, maxLen: 4 }, envId: 'MiniGrid-Other' } }),
    ).toThrow('the dataset was recorded in MiniGrid-MemoryS7FixedStart-v0, the model plays MiniGrid-Other');
    expect(() =>
      buildProbeSet(ds, {
        maxLen: 4,
        fits: { model: { arch: { ...arch, nActions: 3 }, maxLen: 4 }, envId: env.envId },
      }),
    ).toThrow(/do not fit this model/);
    const dyn = collectDemonstrations({
      env: { ...DEFAULT_ENV_CONFIG, envId: 'MiniGrid-Dynamic-Obstacles-8x8-v0', oneHotObs: true },
      episodes: 1,
      policy: 'random',
      epsilon: 0,
      wrongFraction: 0,
      randomFraction: 0,
      seed: 1,
    });
    expect(() => buildProbeSet(dyn, { maxLen: 4, labels: ['instruction'] })).toThrow(/only for Memory/);
  });
});

describe('activations at a token kind', () => {
  const arch = tinyArch({ nCtx: 8 });
  const model = randomModel(arch);
  const inputs = randomInputs(arch, 5, 3);
  const windows = {
    n: 5,
    inputs: (s: number, e: number) => ({
      states: new Tensor(inputs.states.data.slice(s * 54, e * 54), [e - s, 3, 3, 3, 2]),
      actions: inputs.actions!.slice(s * 2, e * 2),
      rtgs: inputs.rtgs.slice(s * 3, e * 3),
      timesteps: inputs.timesteps.slice(s * 3, e * 3),
    }),
  };

  it('reads the last S, R and A tokens, the same in chunks as in one batch', async () => {
    const hooks = ['blocks.1.hook_resid_post', 'blocks.0.attn.hook_z', 'blocks.1.mlp.hook_post'];
    const { cache } = model.run(inputs, { cache: true });
    for (const kind of ['S', 'R', 'A'] as const) {
      const one = await collectActivations(model, windows, hooks, kind, { chunkRows: 5 });
      const chunked = await collectActivations(model, windows, hooks, kind, { chunkRows: 2 });
      const p = positionOf(kind, 8);
      expect(p).toBe(lastStatePosition(8) - { S: 0, R: 1, A: 2 }[kind]);
      hooks.forEach((h, i) => {
        const act = cache!.get(h);
        const width = act.size / (5 * 8);
        expect(one[i].width).toBe(width);
        for (let b = 0; b < 5; b++)
          expect(Array.from(one[i].data.subarray(b * width, (b + 1) * width))).toEqual(
            Array.from(act.data.subarray((b * 8 + p) * width, (b * 8 + p + 1) * width)),
          );
        expect(chunked[i].data).toEqual(one[i].data);
      });
    }
  });

  it('rejects hook points that do not exist or hold no vector per position', async () => {
    await expect(collectActivations(model, windows, ['blocks.7.hook_resid_post'], 'S')).rejects.toThrow(
      /does not exist/,
    );
    await expect(collectActivations(model, windows, ['blocks.0.attn.hook_pattern'], 'S')).rejects.toThrow(
      /no vector per position/,
    );
    expect(vectorHooks(model)).not.toContain('blocks.0.attn.hook_pattern');
    expect(vectorHooks(model)).toContain('blocks.0.hook_resid_pre');
  });
});

describe('steering along a probe direction', () => {
  const arch = tinyArch({ nCtx: 8 });
  const model = randomModel(arch);
  const window = randomInputs(arch, 1, 3);
  const d = arch.dModel;
  // A two-class probe on blocks.1.hook_resid_mid whose class-1 direction is e0 − e1.
  const W = new Float32Array(d * 2);
  W[0 * 2 + 1] = 1;
  W[1 * 2 + 1] = -1;
  const probe = {
    hook: 'blocks.1.hook_resid_mid',
    label: 'toy',
    classes: ['no', 'yes'],
    W,
    b: new Float32Array(2),
    meanNorm: 2,
  };

  it('coefficient 0 is the clean run; the probe read-out rises with the coefficient', async () => {
    const r = await probeSteering(model, window, probe, 'yes', 'S', { min: -1, max: 1, n: 5 });
    const clean = model.run(window).actionPreds!;
    const A = arch.nActions;
    const logits = Array.from(clean.data.subarray(clean.size - A));
    const m = Math.max(...logits);
    const p = logits.map((v) => Math.exp(v - m));
    const s = p.reduce((a, v) => a + v, 0);
    r.probabilities[2].forEach((v, a) => expect(v).toBeCloseTo(p[a] / s, 6));
    for (let i = 1; i < 5; i++) expect(r.probeTarget[i]).toBeGreaterThan(r.probeTarget[i - 1]);
    expect(classDirection(probe, 1)[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('rejects an unknown class and per-head hooks', async () => {
    await expect(probeSteering(model, window, probe, 'maybe', 'S')).rejects.toThrow(/not a class of toy/);
    await expect(
      probeSteering(model, window, { ...probe, hook: 'blocks.0.attn.hook_z' }, 'yes', 'S'),
    ).rejects.toThrow(/one per head/);
  });
});
