/**
 * MLP composition per neuron, as GEMMs. With a writer's Gram G_W [d, d] (see grams.ts) and a neuron's
 * input direction w_n (W_in column), the neuron reads the writer with score
 * `sqrt(w_nᵀ G_W w_n / (tr G_W ‖w_n‖²))` (the composition score with a rank-1 reader); symmetrically a
 * neuron's output direction r_n (W_out row) is read by a reader with Gram G_R with score
 * `sqrt(r_nᵀ G_R r_n / (‖r_n‖² tr G_R))`; neuron -> later neuron is |cos(r_n, w_m)|. All neurons of a layer
 * come from one product `G · W` [d, d_mlp].
 */
import { check } from '../../errors.ts';
import type { NdArray } from '../dynamic/run.ts';
import { type Baseline, type Gram, baselineFor, readerGram, summarise, writerGram } from './grams.ts';
import { type Sampler, normalSampler } from './linalg.ts';
import { type WeightsModel, checkHead } from './model.ts';
import { residualReaders, residualWriters } from './operators.ts';
import { neuronVocabulary } from './vocabularies.ts';

export interface NeuronScores {
  /** Writer (or reader) labels, one row each */
  labels: string[];
  /** `L{l}N{n}` */
  neurons: string[];
  /** [labels, d_mlp] */
  values: NdArray;
  /** Baseline per row: the same operator against random Gaussian directions */
  baselines: Baseline[];
}

export interface MlpCompositionResult {
  layer: number;
  /** Earlier writers (embeddings, head OVs, earlier MLPs) into this layer's neurons (W_in columns) */
  into: NeuronScores;
  /** This layer's neurons (W_out rows) into later readers (head Q/K/V, MLP W_in, action predictor) */
  out: NeuronScores;
  /** Neuron -> neuron |cos| to each later MLP layer: [d_mlp(this), d_mlp(later)] per later layer */
  toLaterMlps: { layer: number; values: NdArray; baseline: Baseline }[];
}

/** Row-wise `sqrt(vᵀ G v / (tr G ‖v‖²))` for the rows v of `vectors` [n, d]. */
function quadraticScores(m: WeightsModel, g: Gram, vectors: NdArray): Float32Array {
  const [n, d] = vectors.shape;
  const G = Float32Array.from(g.G.data);
  const gv = m.gemm.matmul(vectors.data, G, n, d, d);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let q = 0;
    let nn = 0;
    for (let j = 0; j < d; j++) {
      const v = vectors.data[i * d + j];
      q += v * gv[i * d + j];
      nn += v * v;
    }
    out[i] = g.trace > 0 && nn > 0 ? Math.sqrt(Math.max(0, q) / (g.trace * nn)) : 0;
  }
  return out;
}

/** Mean and band of the score of the real operator (Gram g) against random directions. */
function randomDirectionBaseline(g: Gram, d: number, samples: number, normal: Sampler): Baseline {
  const scores: number[] = [];
  for (let s = 0; s < samples; s++) {
    const v = Float64Array.from({ length: d }, () => normal());
    let q = 0;
    let nn = 0;
    for (let i = 0; i < d; i++) {
      nn += v[i] * v[i];
      let row = 0;
      for (let j = 0; j < d; j++) row += g.G.data[i * d + j] * v[j];
      q += v[i] * row;
    }
    scores.push(g.trace > 0 ? Math.sqrt(Math.max(0, q) / (g.trace * nn)) : 0);
  }
  return summarise(scores);
}

/** |cos| between the rows of a [n, d] and of b [k, d]: [n, k]. */
function absCosines(m: WeightsModel, a: NdArray, b: NdArray): Float32Array {
  const [n, d] = a.shape;
  const k = b.shape[0];
  const dots = m.gemm.matmul(a.data, b.data, n, d, k, { transB: true });
  const norms = (x: NdArray, rows: number) =>
    Array.from({ length: rows }, (_, i) => Math.hypot(...x.data.subarray(i * d, (i + 1) * d)));
  const na = norms(a, n);
  const nb = norms(b, k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) dots[i * k + j] = Math.abs(dots[i * k + j]) / (na[i] * nb[j] || 1);
  return dots;
}

export function mlpComposition(
  m: WeightsModel,
  layer: number,
  options: { baselineSamples?: number; seed?: number } = {},
): MlpCompositionResult {
  checkHead(m.arch, layer, 0);
  const samples = options.baselineSamples ?? 100;
  check(
    Number.isInteger(samples) && samples >= 2,
    'BAD_INPUT',
    `baseline samples must be an integer >= 2, got ${samples}`,
  );
  const normal = normalSampler(options.seed ?? 0);
  const { dModel: d, dMlp } = m.arch;
  const stage = 2 * layer + 1;
  const inDirs = neuronVocabulary(m, layer, 'in');
  const outDirs = neuronVocabulary(m, layer, 'out');
  const vector = [d, 1, 0] as const;
  const rank1Writer = [0, 1, d] as const;

  const writers = residualWriters(m).filter((w) => w.stage < stage);
  const wGrams = writers.map((w) => writerGram(w.op, m.gemm));
  const intoData = new Float32Array(writers.length * dMlp);
  wGrams.forEach((g, i) => intoData.set(quadraticScores(m, g, inDirs.vectors), i * dMlp));
  const readers = residualReaders(m).filter((r) => r.stage > stage);
  const rGrams = readers.map((r) => readerGram(r.op, m.gemm));
  const outData = new Float32Array(readers.length * dMlp);
  rGrams.forEach((g, i) => outData.set(quadraticScores(m, g, outDirs.vectors), i * dMlp));

  const toLaterMlps = [];
  for (let l2 = layer + 1; l2 < m.arch.nLayers; l2++)
    toLaterMlps.push({
      layer: l2,
      values: {
        shape: [dMlp, dMlp],
        data: absCosines(m, outDirs.vectors, neuronVocabulary(m, l2, 'in').vectors),
      },
      baseline: baselineFor(rank1Writer, vector, samples, normal),
    });
  return {
    layer,
    into: {
      labels: writers.map((w) => w.label),
      neurons: inDirs.labels,
      values: { shape: [writers.length, dMlp], data: intoData },
      baselines: wGrams.map((g) => randomDirectionBaseline(g, d, samples, normal)),
    },
    out: {
      labels: readers.map((r) => r.label),
      neurons: outDirs.labels,
      values: { shape: [readers.length, dMlp], data: outData },
      baselines: rGrams.map((g) => randomDirectionBaseline(g, d, samples, normal)),
    },
    toLaterMlps,
  };
}
