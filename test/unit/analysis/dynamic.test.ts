/**
 * Invariants of the dynamic analyses on tiny random models: labels and shapes, contributions that add
 * up, the logit lens ending at the model's own prediction, value weighting by hand, observation
 * embeddings that rebuild the S token, cache slices that index the cache correctly, typed errors.
 */
import { describe, expect, it } from 'vitest';
import {
  analysisRun,
  attentionPatterns,
  cacheSlice,
  decomposeLogitDiff,
  defaultSliceRequest,
  hookDimensions,
  logitLens,
  observationView,
  residNorms,
  lastStatePosition,
  tokenLabels,
  maxLenOf,
} from '../../../src/analysis/dynamic/index.ts';
import { DtlensError } from '../../../src/errors.ts';
import { projectStack } from '../../../src/model/activationCache.ts';
import type { WeightVariant } from '../../../src/model/processing.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const P = 8; // tinyArch: n_ctx 8 -> 3 timesteps -> R1 S1 A1 R2 S2 A2 R3 S3

function setup(variant: WeightVariant, overrides = {}) {
  const arch = tinyArch(overrides);
  const model = randomModel(arch, { variant });
  return analysisRun(model, windowInputs(arch));
}

describe('token labels', () => {
  it('follow the R, S, A layout with 1-based timesteps', () => {
    expect(tokenLabels(8)).toEqual(['R1', 'S1', 'A1', 'R2', 'S2', 'A2', 'R3', 'S3']);
    expect(tokenLabels(2)).toEqual(['R1', 'S1']);
    expect(tokenLabels(26).slice(-2)).toEqual(['R9', 'S9']);
    expect(setup('raw').tokenLabels).toEqual(tokenLabels(P));
  });

  it('find the last S token in every layout (P = 3T - 1, legacy P = 3T, no actions P = 2)', () => {
    expect(lastStatePosition(8)).toBe(7);
    expect(lastStatePosition(9)).toBe(7);
    expect(lastStatePosition(2)).toBe(1);
  });

  it('default the analysed position to the last S token of a legacy [R, S, A] window', () => {
    const arch = tinyArch({ nCtx: 9 });
    const inputs = windowInputs(arch, 1);
    const legacy = { ...inputs, actions: Int32Array.from([0, 1, 2]) }; // Ta = T: tokens R1 S1 A1 ... R3 S3 A3
    const run = analysisRun(randomModel(arch, { variant: 'processed' }), legacy);
    expect(run.tokenLabels.at(-1)).toBe('A3');
    expect(decomposeLogitDiff(run).tokenLabel).toBe('S3');
    expect(logitLens(run).position).toBe(7);
    expect(attentionPatterns(run).query).toBe(7);
  });
});

describe('logit-difference decomposition', () => {
  for (const [name, variant, overrides] of [
    ['LN folded (processed)', 'processed', {}],
    ['gated MLP, dti-compat', 'dti-compat', { gatedMlp: true }],
    ['no normalisation', 'raw', { normalization: null }],
  ] as const) {
    it(`${name}: every decomposition adds up to the logit difference`, () => {
      const run = setup(variant, overrides);
      for (const position of [-1, 4, 0])
        for (const batch of [0, 1]) {
          const r = decomposeLogitDiff(run, { batch, position, direction: { positive: 2, negative: 0 } });
          for (const c of [r.layers.check, r.components.check, r.neurons!.check, r.dti.check]) {
            expect(Math.abs(c.error)).toBeLessThan(1e-5);
          }
          expect(r.layers.check.target).toBe(r.logitDiff);
          expect(r.notes).toEqual([]);
        }
    });
  }

  it('raw LN weights: reports that the sum misses ln_final, with a non-zero residual error', () => {
    const r = decomposeLogitDiff(setup('raw'));
    expect(r.notes).toHaveLength(1);
    expect(Math.abs(r.components.check.error)).toBeGreaterThan(1e-3);
    expect(Math.abs(r.dti.check.error)).toBeLessThan(1e-5);
  });

  it('neuron attributions equal the full TL stack projected at the position (raw LN and processed)', () => {
    for (const variant of ['raw', 'processed'] as const) {
      const run = setup(variant, { gatedMlp: true });
      const r = decomposeLogitDiff(run, { batch: 1, position: 4, direction: { positive: 1 } });
      const stack = run.cache.getFullResidDecomposition(-1, { applyLn: true, expandNeurons: true });
      const all = projectStack(stack.components, run.cache.actionDirection(1)); // [n, B, P]
      expect(r.neurons!.labels).toEqual(stack.labels);
      const expected = stack.labels.map((_, i) => all.get(i, 1, 4));
      r.neurons!.values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    }
  });

  it('labels follow TransformerLens and DTI', () => {
    const r = decomposeLogitDiff(setup('processed'));
    expect(r.layers.labels).toEqual([
      'embed',
      'pos_embed',
      '0_attn_out',
      '0_mlp_out',
      '1_attn_out',
      '1_mlp_out',
    ]);
    expect(r.heads.labels).toEqual(['L0H0', 'L0H1', 'L1H0', 'L1H1']);
    expect(r.heads.grid).toEqual([r.heads.values.slice(0, 2), r.heads.values.slice(2)]);
    expect(r.components.labels.slice(-5)).toEqual(['0_mlp_out', '1_mlp_out', 'embed', 'pos_embed', 'bias']);
    expect(r.neurons!.labels).toHaveLength(4 + 2 * 12 + 3);
    expect(r.dti.labels).toEqual([
      'Input Tokens',
      'Positional Embedding',
      'Attention Layer 0 Head 0',
      'Attention Layer 0 Head 1',
      'Attention Bias Layer 0',
      'MLP Layer 0',
      'Attention Layer 1 Head 0',
      'Attention Layer 1 Head 1',
      'Attention Bias Layer 1',
      'MLP Layer 1',
    ]);
    expect(r.tokenLabel).toBe('S3');
    expect(r.direction.label).toBe('left − right');
    expect(decomposeLogitDiff(setup('processed'), { neurons: false }).neurons).toBeUndefined();
  });

  it('rejects bad directions and positions with typed errors', () => {
    const run = setup('processed');
    expect(() => decomposeLogitDiff(run, { direction: { positive: 1, negative: 1 } })).toThrow(DtlensError);
    expect(() => decomposeLogitDiff(run, { direction: { positive: 3 } })).toThrow(/outside 0..2/);
    expect(() => decomposeLogitDiff(run, { position: P })).toThrow(DtlensError);
    expect(() => decomposeLogitDiff(run, { batch: 2 })).toThrow(DtlensError);
  });
});

describe('logit lens', () => {
  it("ends at the model's own action logits and logit difference (folded LN)", () => {
    const run = setup('processed');
    const r = logitLens(run, { batch: 1 });
    expect(r.layers).toEqual(['0_pre', '0_mid', '1_pre', '1_mid', 'final_post']);
    expect(r.actionLogits.shape).toEqual([5, P, 3]);
    expect(r.logitDiff.at(-1)).toBeCloseTo(r.actualLogitDiff, 5);
    // final state at S3 (position 7) through the predictor = the model's prediction for timestep 3
    const preds = run.actionPreds; // [B, T, A]
    for (let a = 0; a < 3; a++)
      expect(r.actionLogits.data[(4 * P + 7) * 3 + a]).toBeCloseTo(preds.get(1, 2, a), 5);
    expect(r.actionNames).toEqual(['left', 'right', 'forward']);
  });
});

describe('attention', () => {
  const run = setup('raw');
  const r = attentionPatterns(run, { batch: 1 });

  it('has one causal pattern per head with token labels and summaries', () => {
    expect(r.data.shape).toEqual([2, 2, P, P]);
    expect(r.headLabels).toEqual(['L0H0', 'L0H1', 'L1H0', 'L1H1']);
    for (let i = 0; i < 4; i++)
      for (let q = 0; q < P; q++) {
        let s = 0;
        for (let k = 0; k < P; k++) {
          const v = r.data.data[(i * P + q) * P + k];
          if (k > q) expect(v).toBe(0);
          s += v;
        }
        expect(s).toBeCloseTo(1, 5);
      }
    for (const h of r.summaries) {
      expect(h.atQuery.mass.R + h.atQuery.mass.S + h.atQuery.mass.A).toBeCloseTo(1, 5);
      expect(h.atQuery.entropy).toBeGreaterThanOrEqual(0);
      expect(h.atQuery.entropy).toBeLessThanOrEqual(Math.log(P) + 1e-9);
      expect(h.mean.entropy).toBeLessThanOrEqual(Math.log(P) + 1e-9);
    }
    // the first query can only attend to itself: entropy 0, all mass on R
    const first = attentionPatterns(run, { query: 0 }).summaries[0].atQuery;
    expect(first.entropy).toBeCloseTo(0, 6);
    expect(first.mass.R).toBeCloseTo(1, 6);
  });

  it('weights by the key value norm, or by the query value norm in dti-compat mode', () => {
    const v = run.cache.get('blocks.1.attn.hook_v'); // [B, P, H, dh]
    const norm = (p: number, h: number) =>
      Math.hypot(...Array.from({ length: 4 }, (_, e) => v.get(1, p, h, e)));
    const key = attentionPatterns(run, { batch: 1, valueWeighting: 'key' });
    const dti = attentionPatterns(run, { batch: 1, valueWeighting: 'dti-compat' });
    const at = (x: typeof r, q: number, k: number) => x.data.data[((1 * 2 + 1) * P + q) * P + k]; // L1H1
    for (const [q, k] of [
      [5, 2],
      [7, 7],
      [3, 0],
    ]) {
      expect(at(key, q, k)).toBeCloseTo(at(r, q, k) * norm(k, 1), 5);
      expect(at(dti, q, k)).toBeCloseTo(at(r, q, k) * norm(q, 1), 5);
    }
    expect(key.summaries).toEqual(r.summaries);
  });

  it('returns the masked scores, and rejects value weighting of scores', () => {
    const s = attentionPatterns(run, { values: 'scores' });
    expect(s.data.data[1]).toBe(-100000); // L0H0, query 0, key 1
    expect(() => attentionPatterns(run, { values: 'scores', valueWeighting: 'key' })).toThrow(DtlensError);
  });
});

describe('observation view', () => {
  it('splits the state embedding by channel; channels + time rebuild the S token', () => {
    const run = setup('processed');
    for (const timestep of [-1, 0]) {
      const r = observationView(run, { batch: 1, timestep, direction: { positive: 2 } });
      expect(r.channels.map((c) => c.name)).toEqual(['channel 0', 'channel 1']);
      expect(r.encoding).toBe('other');
      const channelSum = r.channels.reduce((a, c) => a + c.embedding.logitDiff, 0);
      expect(channelSum).toBeCloseTo(r.state.logitDiff, 5);
      expect(r.state.logitDiff + r.time.logitDiff).toBeCloseTo(r.token.logitDiff, 5);
      for (const c of r.channels) {
        let cells = 0;
        for (let i = 0; i < 9; i++) {
          expect(c.activationProjection.data[i]).toBeCloseTo(
            c.weightProjection.data[i] * c.values.data[i],
            6,
          );
          cells += c.values.data[i] !== 0 ? 1 : 0;
        }
        expect(c.active).toBe(cells);
      }
    }
    expect(observationView(run).tokenLabel).toBe('S3');
    expect(observationView(run, { timestep: 0 }).tokenLabel).toBe('S1');
  });

  it('lays grids out as rows = y, columns = x, and names one-hot channels', () => {
    const arch = tinyArch({ obsShape: [3, 3, 20] });
    const model = randomModel(arch, { variant: 'processed' });
    const inputs = windowInputs(arch, 1);
    inputs.states.data.fill(0);
    const lastObs = 2 * 3 * 3 * 20; // timestep 2 of batch 0
    inputs.states.data[lastObs + (2 * 3 + 0) * 20 + 5] = 1; // x = 2, y = 0, channel 5 (key)
    const r = observationView(analysisRun(model, inputs));
    expect(r.encoding).toBe('one-hot');
    const key = r.channels[5];
    expect(key.name).toBe('key');
    expect(key.active).toBe(1);
    expect(key.values.shape).toEqual([3, 3]);
    expect(key.values.data[0 * 3 + 2]).toBe(1);
    // a single one-hot cell: the channel's embedding is the state-embedding column (c=5, x=2, y=0)
    const col = 5 * 9 + 2 * 3 + 0;
    const W = model.weights.stateEmbedding;
    const dir = leftMinusRight(model);
    let expected = 0;
    for (let j = 0; j < arch.dModel; j++) expected += W.data[j * 180 + col] * dir[j];
    expect(key.embedding.logitDiff).toBeCloseTo(expected, 5);
    expect(key.weightProjection.data[2]).toBeCloseTo(expected, 5);
  });
});

/** W_U[left] − W_U[right] of a model, from its weights. */
function leftMinusRight(model: ReturnType<typeof randomModel>): Float32Array {
  const W = model.weights.actionPredictor.W;
  const d = W.shape[1];
  return W.data.slice(0, d).map((v, j) => v - W.data[d + j]);
}

describe('cache browser', () => {
  const run = setup('raw');

  it('slices any hook with labelled axes, in either orientation', () => {
    const hook = 'blocks.1.attn.hook_pattern';
    expect(hookDimensions(hook, 4)).toEqual(['batch', 'head', 'query', 'key']);
    const req = defaultSliceRequest(run, hook);
    const s = cacheSlice(run, { ...req, fixed: { head: 1, batch: 1 } });
    const full = run.cache.get(hook);
    expect(s.rowLabels).toEqual(tokenLabels(P));
    expect(s.fixed).toEqual({ batch: 1, head: 1 });
    expect(s.data.data[5 * P + 3]).toBe(full.get(1, 1, 5, 3));
    const t = cacheSlice(run, { hook, rows: 'key', cols: 'query', fixed: { head: -1, batch: 1 } });
    expect(t.data.data[3 * P + 5]).toBe(full.get(1, 1, 5, 3));
    const z = cacheSlice(run, {
      hook: 'blocks.0.attn.hook_z',
      rows: 'head',
      cols: 'd_head',
      fixed: { pos: 6 },
    });
    expect(z.rowLabels).toEqual(['H0', 'H1']);
    expect(z.colLabels).toEqual(['0', '1', '2', '3']);
    expect(z.data.data[1 * 4 + 2]).toBe(run.cache.get('blocks.0.attn.hook_z').get(0, 6, 1, 2));
    const resid = defaultSliceRequest(run, 'blocks.0.hook_resid_pre');
    expect([resid.rows, resid.cols]).toEqual(['pos', 'd_model']);
  });

  it('rejects unknown hooks, dimensions and indices with typed errors', () => {
    const hook = 'blocks.0.hook_resid_mid';
    expect(() => cacheSlice(run, { hook: 'blocks.9.hook_resid_pre', rows: 'pos', cols: 'd_model' })).toThrow(
      DtlensError,
    );
    expect(() => cacheSlice(run, { hook, rows: 'pos', cols: 'head' })).toThrow(/no dimension "head"/);
    expect(() => cacheSlice(run, { hook, rows: 'pos', cols: 'pos' })).toThrow(DtlensError);
    expect(() => cacheSlice(run, { hook, rows: 'pos', cols: 'd_model', fixed: { batch: 2 } })).toThrow(
      DtlensError,
    );
    expect(() => cacheSlice(run, { hook, rows: 'pos', cols: 'd_model', fixed: { batch: 0.5 } })).toThrow(
      DtlensError,
    );
  });
});

describe('residual norms', () => {
  it('have one norm per state/component, batch item and position; the final state is bounded by its parts', () => {
    const run = setup('raw');
    const r = residNorms(run);
    expect(r.accumulated.norms.shape).toEqual([5, 2, P]);
    expect(r.decomposed.norms.shape).toEqual([6, 2, P]);
    const acc = new Tensor(r.accumulated.norms.data, r.accumulated.norms.shape);
    const dec = new Tensor(r.decomposed.norms.data, r.decomposed.norms.shape);
    for (let b = 0; b < 2; b++)
      for (let p = 0; p < P; p++) {
        let parts = 0;
        for (let i = 0; i < 6; i++) parts += dec.get(i, b, p);
        expect(acc.get(4, b, p)).toBeLessThanOrEqual(parts + 1e-5);
        // 0_pre = embed + pos_embed
        expect(acc.get(0, b, p)).toBeLessThanOrEqual(dec.get(0, b, p) + dec.get(1, b, p) + 1e-5);
      }
  });
});

describe('token layout', () => {
  it('maxLenOf: 1 + floor(n_ctx / 3) for DTI windows, n_ctx / 3 for legacy [R, S, A] windows', () => {
    expect(maxLenOf(26)).toBe(9);
    expect(maxLenOf(2)).toBe(1);
    expect(maxLenOf(8)).toBe(3);
    expect(maxLenOf(3)).toBe(1);
  });
});
