/**
 * Static (weights-only) analyses on tiny models: closed-form composition scores, invariants (an
 * orthogonal writer/reader composes with 0, the SVD reconstructs W_OV, PCA variance sums to 100%),
 * brute-force checks of every GEMM-based result, and typed errors for bad requests.
 */
import { describe, expect, it } from 'vitest';
import {
  compositionGraph,
  compositionScores,
  congruenceWithMlpIn,
  directionsFromTensors,
  directionsToTensors,
  directionsVocabulary,
  embeddingPca,
  fullOV,
  fullQK,
  fullSvdValues,
  headInputCongruence,
  headSvd,
  metaComposition,
  mlpComposition,
  mlpToMlp,
  neuronDirections,
  ovCircuit,
  parameterStats,
  pcaDirections,
  qkCircuit,
  selectRows,
  similarityMatrix,
  singleLinkageOrder,
  stateVocabulary,
  svdReadout,
  timeVocabulary,
  topCompositions,
  unembedVocabulary,
  type Vocabulary,
  type WeightsModel,
} from '../../../src/analysis/static/index.ts';
import { DtlensError } from '../../../src/errors.ts';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';

const close = (a: number, b: number, tol = 1e-5) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

/** A 2-layer, 1-head, d_model 4, d_head 2 model whose head weights we set by hand. */
function handModel(): WeightsModel {
  const m = randomModel(tinyArch({ dModel: 4, nHeads: 1, dHead: 2, dMlp: 6, normalization: null }));
  const set = (t: Float32Array, rows: number[][]) => t.set(rows.flat());
  const [b0, b1] = m.weights.blocks;
  // OV of L0H0 = projection onto span(e0, e1)
  set(b0.attn.W_V.data, [
    [1, 0],
    [0, 1],
    [0, 0],
    [0, 0],
  ]);
  set(b0.attn.W_O.data, [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
  ]);
  // L1H0: W_Q maps e0 -> c0, e2 -> c1; W_K maps e0 -> c0, e1 -> c1, so W_QK = E00 + E21
  set(b1.attn.W_Q.data, [
    [1, 0],
    [0, 0],
    [0, 1],
    [0, 0],
  ]);
  set(b1.attn.W_K.data, [
    [1, 0],
    [0, 1],
    [0, 0],
    [0, 0],
  ]);
  // L1H0 reads values only from span(e2, e3): orthogonal to what L0H0 writes
  set(b1.attn.W_V.data, [
    [0, 0],
    [0, 0],
    [1, 0],
    [0, 1],
  ]);
  return m;
}

describe('composition scores', () => {
  it('match closed forms: Q 1/2, K 1/√2, V 0 (orthogonal spaces); l1 >= l2 entries are 0', () => {
    const r = compositionScores(handModel(), { baselineSamples: 20 });
    // [L, H, L, H] with H = 1: entry (0,0,1,0) is flat index 1
    close(r.scores.Q.data[1], 0.5);
    close(r.scores.K.data[1], Math.SQRT1_2);
    expect(r.scores.V.data[1]).toBe(0);
    for (const t of ['Q', 'K', 'V'] as const) {
      expect(r.scores[t].data[0]).toBe(0);
      expect(r.scores[t].data[2]).toBe(0);
      expect(r.scores[t].data[3]).toBe(0);
    }
  });

  it('equal brute-force ‖OV·B‖/(‖OV‖‖B‖) on a random model', () => {
    const m = randomModel(tinyArch({ normalization: null }), { seed: 3 });
    const r = compositionScores(m, { baselineSamples: 10 });
    const ov = ovCircuit(m).values;
    const qk = qkCircuit(m).values;
    const d = m.arch.dModel;
    const H = m.arch.nHeads;
    const block = (a: Float32Array, i: number) => a.subarray(i * d * d, (i + 1) * d * d);
    const prod = (a: Float32Array, b: Float32Array, transB = false) => {
      const out = new Float64Array(d * d);
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += a[i * d + k] * (transB ? b[j * d + k] : b[k * d + j]);
          out[i * d + j] = s;
        }
      return out;
    };
    const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
    for (let h1 = 0; h1 < H; h1++)
      for (let h2 = 0; h2 < H; h2++) {
        const A = block(ov.data, h1);
        const idx = h1 * 2 * H + H + h2;
        const Bq = block(qk.data, H + h2);
        close(r.scores.Q.data[idx], norm(prod(A, Bq)) / (norm(A) * norm(Bq)));
        close(r.scores.K.data[idx], norm(prod(A, Bq, true)) / (norm(A) * norm(Bq)));
        const Bv = block(ov.data, H + h2);
        close(r.scores.V.data[idx], norm(prod(A, Bv)) / (norm(A) * norm(Bv)));
      }
  });

  it('baseline: deterministic per seed, mean inside its 95% band, near the analytic √(k/d)-scale value', () => {
    const m = randomModel(tinyArch({ normalization: null }));
    const a = compositionScores(m, { baselineSamples: 200, seed: 4 });
    const b = compositionScores(m, { baselineSamples: 200, seed: 4 });
    expect(a.baseline).toEqual(b.baseline);
    const { mean, lo, hi } = a.baseline.Q;
    expect(lo).toBeLessThan(mean);
    expect(mean).toBeLessThan(hi);
    expect(mean).toBeGreaterThan(0);
    expect(hi).toBeLessThanOrEqual(1);
  });

  it('top-N sorts by score and searches; the graph is directed and keeps parallel Q/K/V edges', () => {
    const r = compositionScores(randomModel(tinyArch({ normalization: null })), { baselineSamples: 10 });
    const top = topCompositions(r, 5);
    expect(top).toHaveLength(5);
    for (let i = 1; i < top.length; i++) expect(top[i - 1].score).toBeGreaterThanOrEqual(top[i].score);
    expect(topCompositions(r, 100, 'l1h0').every((e) => e.reader === 'L1H0' || e.writer === 'L1H0')).toBe(
      true,
    );
    const g = compositionGraph(r, 0);
    expect(g.edges).toHaveLength(3 * 2 * 2);
    for (const e of g.edges) expect(e.writer.startsWith('L0') && e.reader.startsWith('L1')).toBe(true);
    expect(
      new Set(g.edges.filter((e) => e.writer === 'L0H0' && e.reader === 'L1H1').map((e) => e.type)),
    ).toEqual(new Set(['Q', 'K', 'V']));
    expect(() => topCompositions(r, 0)).toThrow(DtlensError);
  });
});

describe('circuits and SVD', () => {
  const m = randomModel(tinyArch({ normalization: null }), { seed: 9 });
  const { dModel: d, dHead: dh, nActions: A } = m.arch;

  it('full OV of the state vocabulary equals W_E[:, e]ᵀ W_OV W_U[a]ᵀ computed by loops', () => {
    const r = fullOV(m, stateVocabulary(m));
    const ov = ovCircuit(m).values.data;
    const WE = m.weights.stateEmbedding;
    const nObs = WE.shape[1];
    const WU = m.weights.actionPredictor.W.data;
    expect(r.values.shape).toEqual([2, 2, nObs, A]);
    for (const [head, e, a] of [
      [0, 0, 0],
      [1, 5, 2],
      [3, nObs - 1, 1],
    ]) {
      let s = 0;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) s += WE.data[i * nObs + e] * ov[head * d * d + i * d + j] * WU[a * d + j];
      close(r.values.data[(head * nObs + e) * A + a], s);
    }
  });

  it('full QK of (time, action) equals loops over W_QK; query and key sides are not swapped', () => {
    const t = timeVocabulary(m, 3);
    const act = unembedVocabulary(m); // any vocabulary of width d works as keys
    const r = fullQK(m, t, act);
    const qk = qkCircuit(m).values.data;
    let s = 0;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++)
        s += t.vectors.data[2 * d + i] * qk[1 * d * d + i * d + j] * act.vectors.data[1 * d + j];
    close(r.values.data[(1 * 4 + 2) * A + 1], s);
  });

  it('the thin SVD reconstructs W_OV and W_QK and agrees with the full d×d SVD', () => {
    for (const c of ['OV', 'QK'] as const) {
      const svd = headSvd(m, c);
      const full = c === 'OV' ? ovCircuit(m) : qkCircuit(m);
      const fullS = fullSvdValues(full);
      for (let i = 0; i < 4; i++) {
        for (let k = 0; k < dh; k++) close(svd.S.data[i * dh + k], fullS.data[i * d + k], 1e-4);
        for (let k = dh; k < d; k++) expect(fullS.data[i * d + k]).toBeLessThan(1e-5);
        for (const [r, col] of [
          [0, 0],
          [3, 5],
          [7, 2],
        ]) {
          let s = 0;
          for (let k = 0; k < dh; k++)
            s +=
              svd.U.data[(i * d + r) * dh + k] * svd.S.data[i * dh + k] * svd.V.data[(i * d + col) * dh + k];
          close(s, full.values.data[i * d * d + r * d + col], 1e-4);
        }
      }
    }
  });

  it('reads the top-k output directions in the action predictor; bad k is a typed error', () => {
    const svd = headSvd(m, 'OV');
    const r = svdReadout(m, svd, 'out', unembedVocabulary(m), 2);
    expect(r.values.shape).toEqual([2, 2, 2, A]);
    let s = 0;
    for (let j = 0; j < d; j++)
      s += svd.V.data[(1 * d + j) * dh + 1] * m.weights.actionPredictor.W.data[2 * d + j];
    close(r.values.data[(1 * 2 + 1) * A + 2], s);
    expect(() => svdReadout(m, svd, 'in', unembedVocabulary(m), dh + 1)).toThrow(/k must be in 1../);
  });
});

describe('meta-composition and MLP composition', () => {
  it('an orthogonal writer scores 0; only later readers count in the total influence', () => {
    const m = handModel();
    const r = metaComposition(m, { baselineSamples: 8 });
    const w = r.writers.findIndex((x) => x.label === 'L0H0 OV');
    const v = r.readers.findIndex((x) => x.label === 'L1H0 V');
    const nR = r.readers.length;
    expect(r.scores.data[w * nR + v]).toBe(0);
    close(r.scores.data[w * nR + r.readers.findIndex((x) => x.label === 'L1H0 Q')], 0.5);
    r.writers.forEach((wr, i) => {
      let total = 0;
      r.readers.forEach((rd, j) => {
        const later = r.later.data[i * nR + j] === 1;
        if (wr.kind === 'embedding') expect(later).toBe(true);
        if (rd.layer <= wr.layer && wr.kind === 'head' && rd.kind === 'head') expect(later).toBe(false);
        if (later) total += Math.max(0, r.scores.data[i * nR + j] - r.baselines[i * nR + j].mean);
      });
      close(r.totalInfluence[i], total);
    });
  });

  it('per-neuron scores equal ‖W_OV w_n‖ / (‖W_OV‖ ‖w_n‖) and neuron -> neuron |cos|', () => {
    const m = randomModel(tinyArch({ normalization: null, gatedMlp: true }), { seed: 5 });
    const { dModel: d, dMlp } = m.arch;
    const r = mlpComposition(m, 1, { baselineSamples: 8 });
    const ov = ovCircuit(m).values.data;
    const row = r.into.labels.indexOf('L1H1 OV');
    const W_in = m.weights.blocks[1].mlp.W_in.data;
    for (const n of [0, 7]) {
      let num = 0;
      let nw = 0;
      let nov = 0;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += ov[3 * d * d + i * d + j] * W_in[j * dMlp + n];
        num += s * s;
        nw += W_in[i * dMlp + n] ** 2;
        for (let j = 0; j < d; j++) nov += ov[3 * d * d + i * d + j] ** 2;
      }
      close(r.into.values.data[row * dMlp + n], Math.sqrt(num / (nw * nov)));
    }
    expect(r.into.labels).toContain('L1 MLP W_out'.replace('L1', 'L0'));
    expect(r.out.labels).toEqual(['action predictor']);
    const r0 = mlpComposition(m, 0, { baselineSamples: 8 });
    const W_out0 = m.weights.blocks[0].mlp.W_out.data;
    let dot = 0;
    let a2 = 0;
    let b2 = 0;
    for (let j = 0; j < d; j++) {
      dot += W_out0[3 * d + j] * W_in[j * dMlp + 5];
      a2 += W_out0[3 * d + j] ** 2;
      b2 += W_in[j * dMlp + 5] ** 2;
    }
    close(r0.toLaterMlps[0].values.data[3 * dMlp + 5], Math.abs(dot) / Math.sqrt(a2 * b2));
    expect(() => mlpComposition(m, 2)).toThrow(/layer 2 does not exist/);
  });
});

describe('congruence', () => {
  const m = randomModel(tinyArch({ normalization: null }), { seed: 2 });
  const { dModel: d, dMlp } = m.arch;

  it('embeddings -> W_in is Σ_d W_in[d, n] W_E[d, e] with d_mlp != d_model', () => {
    expect(dMlp).not.toBe(d);
    const r = congruenceWithMlpIn(m, stateVocabulary(m), 1);
    const WE = m.weights.stateEmbedding;
    const nObs = WE.shape[1];
    const W_in = m.weights.blocks[1].mlp.W_in.data;
    let s = 0;
    for (let i = 0; i < d; i++) s += W_in[i * dMlp + 4] * WE.data[i * nObs + 6];
    close(r.values.data[6 * dMlp + 4], s);
    expect(() => mlpToMlp(m, 1, 0)).toThrow(DtlensError);
  });

  it('head-input congruence is ‖e W_X‖', () => {
    const t = timeVocabulary(m, 2);
    const r = headInputCongruence(m, t);
    const dh = m.arch.dHead;
    const W = m.weights.blocks[1].attn.W_K.data; // head 0 of layer 1
    let s = 0;
    for (let c = 0; c < dh; c++) {
      let p = 0;
      for (let i = 0; i < d; i++) p += t.vectors.data[1 * d + i] * W[i * dh + c];
      s += p * p;
    }
    close(r.values.data[(2 * 3 + 1) * 3 + 1], Math.sqrt(s));
  });
});

describe('embeddings', () => {
  const vocab = (rows: number[][]): Vocabulary => ({
    name: 'test',
    labels: rows.map((_, i) => `v${i}`),
    vectors: { shape: [rows.length, rows[0].length], data: Float32Array.from(rows.flat()) },
  });

  it('PCA: sklearn svd_flip signs, variance ratios summing to 1, transform of every vector', () => {
    const v = vocab([
      [1, 0],
      [-1, 0],
      [0, 0.5],
      [0, -0.5],
      [3, 3],
    ]);
    const p = embeddingPca(v, [0, 1, 2, 3], { normalise: false });
    expect(Array.from(p.components.data)).toEqual(
      [1, 0, 0, 1].map((x, i) => (i === 3 ? 1 : x)).map((x) => expect.closeTo(x, 6)),
    );
    close(p.explainedVarianceRatio[0], 0.8);
    close(p.explainedVarianceRatio[0] + p.explainedVarianceRatio[1], 1);
    close(p.projections.data[4 * 2], 3);
    const dirs = pcaDirections(p, 'xy', 1);
    expect(dirs.labels).toEqual(['xy PC1']);
  });

  it('PCA of real embeddings: unit variance sum, orthonormal components', () => {
    const m = randomModel(tinyArch(), { seed: 4 });
    const p = embeddingPca(stateVocabulary(m), [0, 3, 5, 7, 9], { centre: true });
    close(
      p.explainedVarianceRatio.reduce((a, b) => a + b, 0),
      1,
    );
    const [k, d] = p.components.shape;
    for (let a = 0; a < k - 1; a++)
      for (let b = 0; b < k - 1; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += p.components.data[a * d + j] * p.components.data[b * d + j];
        close(s, a === b ? 1 : 0);
      }
    expect(() => embeddingPca(stateVocabulary(m), [0])).toThrow(DtlensError);
    expect(() => embeddingPca(stateVocabulary(m), [0, 999])).toThrow(/outside/);
  });

  it('cosine maps have a unit diagonal; single linkage groups near points', () => {
    const s = similarityMatrix(
      vocab([
        [1, 2],
        [3, 1],
        [-1, 0],
      ]),
    );
    for (let i = 0; i < 3; i++) close(s.values.data[i * 4], 1);
    expect(singleLinkageOrder(Float32Array.of(0, 10, 0.1, 10.1), 4, 1)).toEqual([0, 2, 1, 3]);
  });

  it('saved directions round-trip through safetensors and are checked against the model width', () => {
    const m = randomModel(tinyArch(), { seed: 4 });
    const p = embeddingPca(stateVocabulary(m), [0, 1, 2]);
    const saved = pcaDirections(p, 'keys', 2);
    const { tensors, metadata } = directionsToTensors(saved);
    const back = readSafetensors(writeSafetensors(tensors, metadata));
    const read = directionsFromTensors(back.tensors, back.metadata);
    expect(read.labels).toEqual(saved.labels);
    expect(Array.from(read.vectors.data)).toEqual(Array.from(saved.vectors.data));
    const ov = fullOV(m, directionsVocabulary(read, m.arch.dModel));
    expect(ov.values.shape).toEqual([2, 2, 2, 3]);
    expect(() => directionsVocabulary(read, 16)).toThrow(/width 8, the model's residual stream has 16/);
  });
});

describe('parameters, neurons and bad requests', () => {
  const m = randomModel(tinyArch(), { seed: 6 });

  it('parameter stats: mean, unbiased std, row-norm mean of W_pos', () => {
    const stats = parameterStats(m);
    const pos = stats.find((s) => s.name === 'transformer.pos_embed.W_pos')!;
    const data = Array.from(m.weights.W_pos.data);
    const mean = data.reduce((a, b) => a + b, 0) / data.length;
    close(pos.mean, mean);
    close(pos.std, Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / (data.length - 1)));
    const [n, d] = m.weights.W_pos.shape;
    let norm = 0;
    for (let i = 0; i < n; i++) norm += Math.hypot(...data.slice(i * d, (i + 1) * d)) / n;
    close(pos.norm, norm);
    expect(pos.kind).toBe('embedding');
    expect(stats.find((s) => s.name === 'transformer.blocks.1.attn.b_O')!.kind).toBe('bias');
  });

  it('neuron directions: identical in/out vectors have cosine 1; unknown neurons are typed errors', () => {
    const r = neuronDirections(m, [
      { layer: 0, neuron: 2, side: 'in' },
      { layer: 0, neuron: 2, side: 'in' },
      { layer: 1, neuron: 0, side: 'out' },
    ]);
    close(r.residual.values.data[1], 1);
    expect(r.actionProjection.shape).toEqual([3, 3]);
    expect(() => neuronDirections(m, [{ layer: 0, neuron: 99, side: 'in' }])).toThrow(
      /neuron 99 does not exist/,
    );
    expect(() => neuronDirections(m, [{ layer: 5, neuron: 0, side: 'in' }])).toThrow(
      /layer 5 does not exist/,
    );
    expect(() => selectRows(stateVocabulary(m), [1000])).toThrow(DtlensError);
    expect(() => timeVocabulary(m, 5000)).toThrow(/outside the time embedding/);
  });
});
