/**
 * Small dense float64 linear algebra for the weight analyses: row-major matrices, products,
 * Gram matrices, Frobenius norms and SVDs (ml-matrix) of explicit and of thin factored matrices.
 * Large products (vocabularies, neurons) go through a `Gemm` in float32 instead; these helpers
 * handle the d_head-sized algebra where float64 keeps scores and singular values exact.
 */
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';

/** A row-major float64 matrix [rows, cols]. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export const mat = (rows: number, cols: number, data = new Float64Array(rows * cols)): Mat => ({
  rows,
  cols,
  data,
});

/** A [rows, cols] block of `src` (any numeric array) starting at `offset`, as float64. */
export const matFrom = (src: ArrayLike<number>, rows: number, cols: number, offset = 0): Mat => {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = src[offset + i];
  return mat(rows, cols, data);
};

export function transpose(a: Mat): Mat {
  const out = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

/** a [m, k] · b [k, n] in float64. */
export function matmul(a: Mat, b: Mat): Mat {
  const { rows: m, cols: k } = a;
  const n = b.cols;
  const out = mat(m, n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const v = a.data[i * k + p];
      if (v === 0) continue;
      const bo = p * n;
      const oo = i * n;
      for (let j = 0; j < n; j++) out.data[oo + j] += v * b.data[bo + j];
    }
  return out;
}

/** aᵀa [cols, cols] (the Gram matrix of a's columns). */
export const gramCols = (a: Mat): Mat => matmul(transpose(a), a);
/** a aᵀ [rows, rows] (the Gram matrix of a's rows). */
export const gramRows = (a: Mat): Mat => matmul(a, transpose(a));

/** Σ x∘y over two same-shaped matrices (= tr(xᵀy)). */
export function innerProduct(x: Mat, y: Mat): number {
  let s = 0;
  for (let i = 0; i < x.data.length; i++) s += x.data[i] * y.data[i];
  return s;
}

/** A matrix held as a product `left [n, k] · right [k, m]` (TransformerLens `FactoredMatrix`). */
export interface Factored {
  left: Mat;
  right: Mat;
}

const toMl = (a: Mat): Matrix => {
  const m = new Matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j]);
  return m;
};

const fromMl = (m: Matrix): Mat => {
  const out = mat(m.rows, m.columns);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.columns; j++) out.data[i * m.columns + j] = m.get(i, j);
  return out;
};

/** Singular values of an explicit matrix, descending (what `torch.linalg.svd(W).S` returns). */
export function singularValues(a: Mat): number[] {
  const svd = new SingularValueDecomposition(toMl(a), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
  });
  return [...svd.diagonal].sort((x, y) => y - x);
}

/**
 * Thin SVD of a factored matrix L [n, k] · R [k, m] (k small): QR of L and of Rᵀ, then the SVD of the
 * k×k core. Returns singular values S [k] descending, U [n, k] (columns: input-side singular vectors)
 * and V [m, k] (columns: output-side singular vectors, i.e. torch's `Vh` rows), signs fixed so that the
 * largest-magnitude entry of each U column is positive (sklearn's `svd_flip` convention).
 */
export function factoredSvd(f: Factored): { S: number[]; U: Mat; V: Mat } {
  const qa = new QrDecomposition(toMl(f.left));
  const qb = new QrDecomposition(toMl(transpose(f.right)));
  const core = qa.upperTriangularMatrix.mmul(qb.upperTriangularMatrix.transpose());
  const svd = new SingularValueDecomposition(core);
  const U = fromMl(qa.orthogonalMatrix.mmul(svd.leftSingularVectors));
  const V = fromMl(qb.orthogonalMatrix.mmul(svd.rightSingularVectors));
  const order = svd.diagonal.map((s, i) => [s, i] as const).sort((x, y) => y[0] - x[0]);
  const k = order.length;
  const Us = mat(U.rows, k);
  const Vs = mat(V.rows, k);
  order.forEach(([, src], dst) => {
    let big = 0;
    for (let i = 0; i < U.rows; i++)
      if (Math.abs(U.data[i * U.cols + src]) > Math.abs(big)) big = U.data[i * U.cols + src];
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < U.rows; i++) Us.data[i * k + dst] = sign * U.data[i * U.cols + src];
    for (let i = 0; i < V.rows; i++) Vs.data[i * k + dst] = sign * V.data[i * V.cols + src];
  });
  return { S: order.map(([s]) => s), U: Us, V: Vs };
}

/** Mulberry32: a tiny, fast seeded PRNG of uniform floats in [0, 1) (for baselines, not cryptography). */
export function uniformSampler(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded standard-normal sampler that also exposes its uniform stream. */
export interface Sampler {
  (): number;
  uniform(): number;
}

/** A seeded standard-normal sampler (Box-Muller). */
export function normalSampler(seed: number): Sampler {
  const rng = { random: uniformSampler(seed) };
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - rng.random();
    const v = rng.random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return Object.assign(normal, { uniform: rng.random });
}

/** A chi-square sample with k degrees of freedom: 2·Gamma(k/2) by Marsaglia-Tsang. */
export function chiSquare(k: number, normal: Sampler): number {
  const a = k / 2;
  const boost = a < 1 ? Math.pow(normal.uniform(), 1 / a) : 1;
  const d = (a < 1 ? a + 1 : a) - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = normal.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return 2 * d * v * boost;
  }
}

/** A [rows, cols] matrix of standard normal samples. */
export function randomMat(rows: number, cols: number, normal: Sampler): Mat {
  const out = mat(rows, cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = normal();
  return out;
}
