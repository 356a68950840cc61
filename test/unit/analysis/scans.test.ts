/**
 * The batched scans on tiny random models: every batched row equals the same window run alone,
 * chunking changes nothing, steering with coefficient 0 is an exact no-op and 1 reproduces the
 * corrupted activation, RTG variants really reach the model, clustering by hand, rank-k attention at
 * full rank is the model's pattern, typed errors.
 */
import { describe, expect, it } from 'vitest';
import { analysisRun, decomposeLogitDiff } from '../../../src/analysis/dynamic/index.ts';
import {
  agglomerate,
  flatClusters,
  leafOrder,
  pearsonMatrix,
} from '../../../src/analysis/scans/clustering.ts';
import { responseCorrelation } from '../../../src/analysis/scans/correlation.ts';
import { linspace } from '../../../src/analysis/scans/grid.ts';
import { normalizeResponses } from '../../../src/analysis/scans/normalize.ts';
import { rankAttention } from '../../../src/analysis/scans/rankAttention.ts';
import { rtgScan } from '../../../src/analysis/scans/rtgScan.ts';
import { interventionHooks } from '../../../src/analysis/causal/apply.ts';
import {
  type Steering,
  coefficientScan,
  pairSteering,
  steeringIntervention,
  steeringNorm,
} from '../../../src/analysis/scans/steering.ts';
import { DtlensError } from '../../../src/errors.ts';
import type { DTInputs } from '../../../src/model/decisionTransformer.ts';
import { selectWindow } from '../../../src/model/inputs.ts';
import type { WeightVariant } from '../../../src/model/processing.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { expectClose } from '../../support/compare.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

function setup(variant: WeightVariant = 'processed', overrides = {}) {
  const arch = tinyArch(overrides);
  const model = randomModel(arch, { variant });
  const pair = windowInputs(arch, 2, 3, 11);
  return { arch, model, clean: selectWindow(pair, 0), corrupted: selectWindow(pair, 1) };
}

const withRtg = (w: DTInputs, rtg: number, from = 0): DTInputs => ({
  ...w,
  rtgs: w.rtgs.map((v, t) => (t >= from ? rtg : v)),
});

describe('scan grid', () => {
  it('is torch.linspace: endpoints included, evenly spaced', () => {
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const g = linspace(-1, 2, 128);
    expect(g[0]).toBe(-1);
    expect(g[127]).toBe(2);
    expect(g[64] - g[63]).toBeCloseTo(3 / 127, 12);
  });

  it('rejects empty or inverted ranges and n < 2 with typed errors', () => {
    expect(() => linspace(1, 1, 8)).toThrow(/empty or inverted/);
    expect(() => linspace(2, 1, 8)).toThrow(DtlensError);
    expect(() => linspace(0, 1, 1)).toThrow(/integer in 2\.\./);
    expect(() => linspace(0, 1, 2.5)).toThrow(DtlensError);
    expect(() => linspace(0, Infinity, 4)).toThrow(/finite/);
  });
});

describe('RTG scan', () => {
  for (const [name, variant, overrides] of [
    ['LN folded (processed)', 'processed', {}],
    ['gated MLP, raw LN', 'raw', { gatedMlp: true }],
    ['no normalisation', 'raw', { normalization: null }],
  ] as const) {
    it(`${name}: each row equals its window run alone (logits, three levels, LN-scaled), in chunks of 3`, async () => {
      const { model, clean } = setup(variant, overrides);
      const scan = await rtgScan(
        model,
        clean,
        { min: -0.5, max: 1.5, n: 7, applyLn: true },
        { chunkRows: 3 },
      );
      expect(scan.rtg).toHaveLength(7);
      scan.rtg.forEach((rtg, i) => {
        const run = analysisRun(model, withRtg(clean, rtg));
        const alone = decomposeLogitDiff(run, { direction: { positive: 0, negative: 1 } });
        const A = scan.logits.shape[1];
        const logits = run.actionPreds.data.slice(-A);
        for (let a = 0; a < A; a++) expect(scan.logits.data[i * A + a]).toBeCloseTo(logits[a], 5);
        expect(scan.logitDiff[i]).toBeCloseTo(alone.logitDiff, 5);
        for (const level of ['layers', 'components', 'neurons'] as const) {
          const d = scan.decomposition[level]!;
          expect(d.labels).toEqual(alone[level]!.labels);
          expect(d.lnScaled).toBe(overrides.normalization !== null);
          d.values.forEach((v, c) => expect(v[i]).toBeCloseTo(alone[level]!.values[c], 5));
        }
      });
    });
  }

  it('without LN scaling, every level sums to the final residual · direction (DTI get_decomp_scan)', async () => {
    const { model, clean } = setup('raw');
    const scan = await rtgScan(model, clean, { n: 5 });
    for (const level of ['layers', 'components', 'neurons'] as const) {
      const d = scan.decomposition[level]!;
      expect(d.lnScaled).toBe(false);
      for (let i = 0; i < 5; i++) {
        const run = analysisRun(model, withRtg(clean, scan.rtg[i]));
        const residPost = run.cache.get('blocks.1.hook_resid_post').data;
        const dir = run.cache.actionDirection(0, 1);
        const p = 7;
        const target = dir.reduce((s, v, j) => s + v * residPost[p * 8 + j], 0);
        expect(d.values.reduce((s, v) => s + v[i], 0)).toBeCloseTo(target, 5);
      }
    }
  });

  it('chunk size does not change the results; progress reaches the total', async () => {
    const { model, clean } = setup('processed', { gatedMlp: true });
    const seen: number[] = [];
    const a = await rtgScan(model, clean, { n: 9 }, { chunkRows: 2, onProgress: (done) => seen.push(done) });
    const b = await rtgScan(model, clean, { n: 9 });
    expect(seen).toEqual([2, 4, 6, 8, 9]);
    a.logits.data.forEach((v, i) => expect(v).toBeCloseTo(b.logits.data[i], 6));
    b.decomposition.neurons!.values.forEach((row, c) =>
      row.forEach((v, i) => expect(a.decomposition.neurons!.values[c][i]).toBeCloseTo(v, 6)),
    );
  });

  it('the last-token read-out runs last-position rows that equal full runs (the attention read-out forces those)', async () => {
    for (const overrides of [{}, { gatedMlp: true }, { normalization: null }] as const) {
      const { model, clean } = setup('raw', overrides);
      const last = await rtgScan(model, clean, { n: 5, applyLn: true });
      const full = await rtgScan(model, clean, { n: 5, applyLn: true, attention: {} });
      expectClose(last.logits.data, full.logits.data, 1e-6);
      expectClose(last.logitDiff, full.logitDiff, 1e-6);
      for (const level of ['layers', 'components', 'neurons'] as const)
        expectClose(last.decomposition[level]!.values.flat(), full.decomposition[level]!.values.flat(), 1e-6);
    }
  });

  it("'current' sets only the last RTG token; timestep noise reaches the model and is seeded", async () => {
    const { model, clean } = setup();
    const cur = await rtgScan(model, clean, { n: 3, tokens: 'current' });
    const alone = analysisRun(model, withRtg(clean, cur.rtg[1], 2));
    expect(cur.logitDiff[1]).toBeCloseTo(decomposeLogitDiff(alone).logitDiff, 5);
    const all = await rtgScan(model, clean, { n: 3 });
    expect(Math.abs(all.logitDiff[1] - cur.logitDiff[1])).toBeGreaterThan(1e-4);

    const noisy = await rtgScan(model, clean, { n: 16, timestepNoise: 2, seed: 3 });
    const again = await rtgScan(model, clean, { n: 16, timestepNoise: 2, seed: 3 });
    const plain = await rtgScan(model, clean, { n: 16 });
    expect(noisy.timestepOffsets).toEqual(again.timestepOffsets);
    expect(noisy.timestepOffsets.every((o) => o >= -2 && o <= 2)).toBe(true);
    expect(new Set(noisy.timestepOffsets).size).toBeGreaterThan(1);
    noisy.timestepOffsets.forEach((o, i) => {
      if (o === 0) expect(noisy.logitDiff[i]).toBe(plain.logitDiff[i]);
      else expect(noisy.logitDiff[i]).not.toBe(plain.logitDiff[i]);
    });
  });

  it('records attention from a query to every key, plain and value-weighted by the key', async () => {
    const { model, clean } = setup();
    const scan = await rtgScan(model, clean, { n: 3, attention: { query: 4 } });
    const at = scan.attention!;
    expect(at.pattern.shape).toEqual([4, 3, 8]);
    expect(at.queryLabel).toBe('S2');
    const run = analysisRun(model, withRtg(clean, scan.rtg[2]));
    const pattern = run.cache.get('blocks.1.attn.hook_pattern').data; // [1, H, P, P]
    const v = run.cache.get('blocks.1.attn.hook_v').data; // [1, P, H, dh]
    for (let k = 0; k < 8; k++) {
      const want = pattern[(1 * 8 + 4) * 8 + k]; // head 1, query 4
      expect(at.pattern.data[(3 * 3 + 2) * 8 + k]).toBeCloseTo(want, 6); // L1H1 = head index 3
      const norm = Math.hypot(...Array.from({ length: 4 }, (_, e) => v[(k * 2 + 1) * 4 + e]));
      expect(at.weighted.data[(3 * 3 + 2) * 8 + k]).toBeCloseTo(want * norm, 5);
    }
  });

  it('rejects bad input with typed errors', async () => {
    const { model, clean, corrupted } = setup();
    await expect(rtgScan(model, clean, { min: 1, max: 0 })).rejects.toThrow(/empty or inverted/);
    await expect(rtgScan(model, clean, { n: 1 })).rejects.toThrow(DtlensError);
    await expect(rtgScan(model, clean, { n: 4, position: 8 })).rejects.toThrow(/position 8 is outside/);
    await expect(rtgScan(model, clean, { n: 4, attention: { query: -9 } })).rejects.toThrow(DtlensError);
    const two = {
      ...clean,
      states: new Tensor(new Float32Array(clean.states.size * 2), [2, ...clean.states.shape.slice(1)]),
    };
    await expect(
      rtgScan(
        model,
        { ...two, rtgs: new Float32Array(6), timesteps: new Int32Array(6), actions: new Int32Array(4) },
        { n: 4 },
      ),
    ).rejects.toThrow(/one window/);
    await expect(rtgScan(model, corrupted, { timestepNoise: -1 })).rejects.toThrow(DtlensError);
    const aborted = new AbortController();
    aborted.abort();
    await expect(rtgScan(model, clean, { n: 4 }, { signal: aborted.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });
});

describe('steering (AVEC)', () => {
  /** Hooks of one run steered with coefficient c. */
  const steer = (s: Steering, c: number) =>
    interventionHooks([[steeringIntervention(s, c)]], tinyArch(), 8, s.sources);

  it('coefficient 0 is an exact no-op; rows of other coefficients do not touch it (batched = alone)', async () => {
    const { model, clean, corrupted } = setup('processed');
    const steering = pairSteering(model, clean, corrupted, 'blocks.1.hook_resid_pre');
    const scan = await coefficientScan(model, clean, steering, { min: -1, max: 2, n: 4 }, { chunkRows: 3 });
    expect(scan.coeff[1]).toBe(0);
    const A = scan.logits.shape[1];
    const plain = model.run(clean, { cache: () => false }).actionPreds!.data.slice(-A);
    expect(Array.from(scan.logits.data.slice(A, 2 * A))).toEqual(Array.from(plain));
    scan.coeff.forEach((c, i) => {
      const alone = model.run(clean, { hooks: steer(steering, c) }).actionPreds!.data.slice(-A);
      for (let a = 0; a < A; a++) expect(scan.logits.data[i * A + a]).toBeCloseTo(alone[a], 5);
    });
    expect(scan.logitDiff[0]).not.toBe(scan.logitDiff[1]);
    expect(scan.vectorNorm).toBeGreaterThan(0);
  });

  it('coefficient 1 at resid_pre reproduces the corrupted run there (and its logits)', () => {
    for (const layer of [0, 1]) {
      const { model, clean, corrupted } = setup('raw', { gatedMlp: true });
      const hook = `blocks.${layer}.hook_resid_pre`;
      const steering = pairSteering(model, clean, corrupted, hook);
      const steered = model.run(clean, { hooks: steer(steering, 1), cache: [hook] });
      const want = model.run(corrupted, { cache: [hook] });
      const got = steered.cache!.get(hook).data;
      want.cache!.get(hook).data.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
      // Every position of resid_pre is replaced, so the rest of the run is the corrupted run.
      want.actionPreds!.data.forEach((v, i) => expect(steered.actionPreds!.data[i]).toBeCloseTo(v, 4));
    }
  });

  it('chosen positions only, literal vectors, the norm; wrong widths and positions are typed errors', async () => {
    const { model, clean, corrupted } = setup();
    const hook = 'blocks.1.hook_resid_pre';
    const full = pairSteering(model, clean, corrupted, hook);
    const only = pairSteering(model, clean, corrupted, hook, [7]);
    const r = model.run(clean, { hooks: steer(only, 2), cache: [hook] }).cache!.get(hook).data;
    const c = model.run(clean, { cache: [hook] }).cache!.get(hook).data;
    const diff = full
      .sources!.corrupted.get(hook)
      .data.map((v, i) => v - full.sources!.clean.get(hook).data[i]);
    for (let i = 0; i < 7 * 8; i++) expect(r[i]).toBe(c[i]);
    for (let j = 0; j < 8; j++) expect(r[56 + j]).toBeCloseTo(c[56 + j] + 2 * diff[56 + j], 5);
    expect(steeringNorm(only, 8)).toBeCloseTo(Math.hypot(...diff.slice(56)), 5);
    expect(steeringNorm(full, 8)).toBeCloseTo(Math.hypot(...diff), 5);

    const literal: Steering = { hook, vector: [1, 0, 0, 0, 0, 0, 0, 0], positions: [0, 3] };
    const l = model.run(clean, { hooks: steer(literal, 0.5), cache: [hook] }).cache!.get(hook).data;
    expect(l[0]).toBeCloseTo(c[0] + 0.5, 6);
    expect(l[3 * 8]).toBeCloseTo(c[3 * 8] + 0.5, 6);
    expect(l[1]).toBe(c[1]);
    expect(steeringNorm(literal, 8)).toBeCloseTo(Math.SQRT2, 12);

    await expect(coefficientScan(model, clean, { hook, vector: [1, 2, 3] }, { n: 2 })).rejects.toThrow(
      /needs 8/,
    );
    await expect(coefficientScan(model, clean, { ...full, positions: [8] }, { n: 2 })).rejects.toThrow(
      DtlensError,
    );
    expect(() => pairSteering(model, clean, corrupted, 'blocks.7.hook_resid_pre')).toThrow(DtlensError);
    await expect(coefficientScan(model, clean, full, { min: 2, max: 2 })).rejects.toThrow(
      /empty or inverted/,
    );
  });
});

describe('clustergram', () => {
  it('Pearson correlation by hand; constant responses correlate 0', () => {
    const { values, constant } = pearsonMatrix([
      [1, 2, 3],
      [2, 4, 6.5],
      [3, 2, 1],
      [5, 5, 5],
    ]);
    expect(values[0][2]).toBeCloseTo(-1, 12);
    // x = (-1, 0, 1), y = (-2.1667, -0.1667, 2.3333): r = 4.5 / (sqrt 2 · sqrt(10.1667))
    expect(values[0][1]).toBeCloseTo(4.5 / (Math.SQRT2 * Math.sqrt(4.694444 + 0.027778 + 5.444444)), 5);
    expect(constant).toEqual([false, false, false, true]);
    expect(values[3]).toEqual([0, 0, 0, 1]);
  });

  it('linkage and leaf order as scipy: points 5, 0, 6.5, 1 on a line', () => {
    const x = [5, 0, 6.5, 1];
    const dist = x.map((a) => x.map((b) => Math.abs(a - b)));
    const single = agglomerate(dist, 'single');
    expect(single).toEqual([
      { left: 1, right: 3, distance: 1, size: 2 },
      { left: 0, right: 2, distance: 1.5, size: 2 },
      { left: 4, right: 5, distance: 4, size: 4 },
    ]);
    const average = agglomerate(dist, 'average');
    expect(average[2].distance).toBeCloseTo((5 + 6.5 + 4 + 5.5) / 4, 12);
    expect(leafOrder(single, 4)).toEqual([1, 3, 0, 2]);
    expect(flatClusters(single, 4, 2)).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(flatClusters(single, 4, 10)).toEqual([[0, 1, 2, 3]]);
  });

  it('groups components that respond alike and drops embed, pos_embed and bias (DTI)', () => {
    const up = [0, 1, 2, 3, 4];
    const c = responseCorrelation({
      labels: ['a', 'embed', 'b', 'c', 'bias', 'd'],
      values: [up, up, up.map((v) => 2 * v + 1), up.map((v) => -v), up, [0, 1, 0, 1, 0]],
    });
    expect(c.labels).toEqual(['a', 'b', 'c', 'd']);
    expect(c.clusters[0]).toEqual(['a', 'b']);
    expect(Math.abs(c.order.indexOf(0) - c.order.indexOf(1))).toBe(1);
    expect(
      responseCorrelation({ labels: ['a', 'b'], values: [up, up] }, { method: 'dti' }).merges[0].distance,
    ).toBeCloseTo(0, 12);
    expect(
      normalizeResponses([
        [2, 4, 3],
        [1, 1, 1],
      ]),
    ).toEqual([
      [0, 1, 0.5],
      [0, 0, 0],
    ]);
  });
});

describe('rank-k attention', () => {
  for (const [name, variant, overrides] of [
    ['LN folded', 'processed', {}],
    ['no normalisation', 'raw', { normalization: null }],
  ] as const) {
    it(`${name}: rank d_head is the full pattern; each sweep row equals that head's pattern set alone`, async () => {
      const { model, clean } = setup(variant, overrides);
      const r = await rankAttention(model, clean, {}, { chunkRows: 5 });
      expect(r.heads).toEqual(['L0H0', 'L0H1', 'L1H0', 'L1H1']);
      expect(r.ranks).toEqual([1, 2, 3, 4]);
      const P = 8;
      const full = model.run(clean, { cache: (n) => n.endsWith('hook_pattern') }).cache!;
      for (let head = 0; head < 4; head++) {
        const [l, h] = [Math.floor(head / 2), head % 2];
        const want = full.get(`blocks.${l}.attn.hook_pattern`).data.subarray(h * P * P, (h + 1) * P * P);
        const at = (k: number) =>
          r.patterns.data.subarray((head * 4 + k - 1) * P * P, (head * 4 + k) * P * P);
        at(4).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
        expect(r.distance[head][3]).toBeLessThan(1e-5);
        expect(r.logitDiff[head][3]).toBeCloseTo(r.baseline.logitDiff, 4);
        for (let a = 0; a < P; a++)
          expect(
            at(1)
              .subarray(a * P, a * P + a + 1)
              .reduce((s, v) => s + v, 0),
          ).toBeCloseTo(1, 5);
        // Row (head, k = 1) against one run with that head's pattern replaced by hand.
        const alone = model.run(clean, {
          hooks: [{ name: `blocks.${l}.attn.hook_pattern`, fn: (t) => void t.data.set(at(1), h * P * P) }],
        });
        const dir = full.actionDirection(0, 1);
        const x = alone.transformerOut.data;
        expect(r.logitDiff[head][0]).toBeCloseTo(
          dir.reduce((s, v, j) => s + v * x[7 * 8 + j], 0),
          4,
        );
      }
    });
  }

  it('rejects a batch and a position that is not an S token', async () => {
    const { model, clean } = setup();
    const two = windowInputs(tinyArch(), 2);
    await expect(rankAttention(model, two)).rejects.toThrow(/one window/);
    await expect(rankAttention(model, clean, { position: 5 })).rejects.toThrow(/not an S token/);
    await expect(rankAttention(model, clean, { position: 9 })).rejects.toThrow(DtlensError);
  });
});
