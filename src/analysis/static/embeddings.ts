/**
 * Embedding views (DTI "Embeddings"): cosine similarities of a selection of vectors (clustered by
 * single linkage), PCA of a selection with sklearn's conventions (centred on the selection's mean,
 * full SVD, `svd_flip` so the largest-|value| entry of each U column is positive, explained variance
 * ratio S²/ΣS², `transform` of every vector), L2 norms, and dot-product / cosine maps of the time and
 * position embeddings. Optional preprocessing as DTI: centre over all vectors, then unit-normalise.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { check } from '../../errors.ts';
import type { NdArray } from '../dynamic/run.ts';
import { singleLinkageOrder } from './clustering.ts';
import type { SavedDirections } from './directions.ts';
import { type Vocabulary, selectRows } from './vocabularies.ts';

export interface EmbeddingPrep {
  /** Subtract the mean vector of the whole vocabulary first (DTI "Centre Embeddings") */
  centre?: boolean;
  /** Scale every vector to unit norm (DTI always does for its embedding views; default true) */
  normalise?: boolean;
}

/** The vocabulary after optional centring (over all rows) and unit-normalisation. */
export function prepareVocabulary(v: Vocabulary, prep: EmbeddingPrep = {}): Vocabulary {
  const [n, d] = v.vectors.shape;
  const data = v.vectors.data.slice();
  if (prep.centre) {
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] -= mean[j];
  }
  if (prep.normalise ?? true)
    for (let i = 0; i < n; i++) {
      const norm = Math.hypot(...data.subarray(i * d, (i + 1) * d));
      if (norm > 0) for (let j = 0; j < d; j++) data[i * d + j] /= norm;
    }
  return { ...v, vectors: { shape: [n, d], data } };
}

/** L2 norm of every vector [n]. */
export function vectorNorms(v: Vocabulary): number[] {
  const [n, d] = v.vectors.shape;
  return Array.from({ length: n }, (_, i) => Math.hypot(...v.vectors.data.subarray(i * d, (i + 1) * d)));
}

export interface SimilarityResult {
  labels: string[];
  /** [n, n] */
  values: NdArray;
  /** Row/column order for display (single-linkage leaves when clustered, else identity) */
  order: number[];
  kind: 'cosine' | 'dot';
}

/** Dot products (kind 'dot') or cosine similarities of every pair of vectors [n, n]. */
export function similarityMatrix(
  v: Vocabulary,
  kind: 'cosine' | 'dot' = 'cosine',
  cluster = true,
): SimilarityResult {
  const [n, d] = v.vectors.shape;
  check(n <= 2048, 'BAD_INPUT', `a similarity map of ${n} vectors is too large (select at most 2048)`);
  const x = kind === 'cosine' ? prepareVocabulary(v, { normalise: true }).vectors.data : v.vectors.data;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] * x[j * d + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  const order = cluster ? singleLinkageOrder(out, n, n) : Array.from({ length: n }, (_, i) => i);
  return { labels: v.labels, values: { shape: [n, n], data: out }, order, kind };
}

export interface PcaResult {
  selection: string[];
  /** [k, d] principal axes (sklearn `components_`) */
  components: NdArray;
  /** [k] explained variance ratio (sums to 1) */
  explainedVarianceRatio: number[];
  /** [d] mean of the selection */
  mean: Float32Array;
  /** [n, k] every vocabulary vector projected: (v − mean) · componentsᵀ (sklearn `transform`) */
  projections: NdArray;
  labels: string[];
  groups?: string[];
}

/** sklearn-style PCA fitted on `selection` rows of the (prepared) vocabulary; projects every row. */
export function embeddingPca(
  v: Vocabulary,
  selection: readonly number[],
  prep: EmbeddingPrep = {},
): PcaResult {
  check(selection.length >= 2, 'BAD_INPUT', `PCA needs at least 2 selected vectors, got ${selection.length}`);
  const all = prepareVocabulary(v, prep);
  const sel = selectRows(all, selection);
  const [k, d] = sel.vectors.shape;
  const mean = new Float32Array(d);
  for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) mean[j] += sel.vectors.data[i * d + j] / k;
  const X = new Matrix(k, d);
  for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) X.set(i, j, sel.vectors.data[i * d + j] - mean[j]);
  const svd = new SingularValueDecomposition(X, { autoTranspose: true });
  const S = svd.diagonal;
  const U = svd.leftSingularVectors;
  const V = svd.rightSingularVectors;
  const nComp = Math.min(k, d);
  const order = S.map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, nComp);
  const components = new Float32Array(nComp * d);
  order.forEach(([, c], r) => {
    let big = 0;
    for (let i = 0; i < k; i++) if (Math.abs(U.get(i, c)) > Math.abs(big)) big = U.get(i, c);
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[r * d + j] = sign * V.get(j, c);
  });
  const total = S.reduce((a, s) => a + s * s, 0);
  const [n] = all.vectors.shape;
  const projections = new Float32Array(n * nComp);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < nComp; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (all.vectors.data[i * d + j] - mean[j]) * components[c * d + j];
      projections[i * nComp + c] = s;
    }
  return {
    selection: sel.labels,
    components: { shape: [nComp, d], data: components },
    explainedVarianceRatio: order.map(([s]) => (total > 0 ? (s * s) / total : 0)),
    mean,
    projections: { shape: [n, nComp], data: projections },
    labels: v.labels,
    ...(v.groups && { groups: v.groups }),
  };
}

/** The first `count` PCA components as saved directions named `{name} PC1..`. */
export function pcaDirections(p: PcaResult, name: string, count: number): SavedDirections {
  const [k, d] = p.components.shape;
  check(
    Number.isInteger(count) && count >= 1 && count <= k,
    'BAD_INPUT',
    `choose 1..${k} directions, got ${count}`,
  );
  return {
    name,
    labels: Array.from({ length: count }, (_, i) => `${name} PC${i + 1}`),
    vectors: { shape: [count, d], data: p.components.data.slice(0, count * d) },
    source: `PCA of ${p.selection.join('; ')}`,
  };
}
