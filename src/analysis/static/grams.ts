/**
 * Composition through Gram matrices. A writer W (rows: what it writes into the residual stream) and a
 * reader R (columns: how it reads the residual stream) compose with score
 * `‖W R‖_F / (‖W‖_F ‖R‖_F)` (TransformerLens `composition_scores`). With the d×d Grams
 * `G_W = Wᵀ W` and `G_R = R Rᵀ`, `‖W R‖² = ⟨G_W, G_R⟩`, `‖W‖² = tr G_W`, `‖R‖² = tr G_R`, so every
 * writer × reader score is one inner product of d×d matrices, and the Grams of factored matrices
 * come from their thin d_head factors. Baselines sample Grams of iid Gaussian matrices of the same
 * shapes (Wishart by Bartlett's decomposition for tall factors).
 */
import type { Gemm } from '../../tensor/gemm.ts';
import {
  type Mat,
  type Sampler,
  chiSquare,
  gramCols,
  gramRows,
  innerProduct,
  mat,
  matmul,
  randomMat,
  transpose,
} from './linalg.ts';

/** A writer `left · right` (left null = identity; right [k, d]) or a reader `left · right` (left [d, k]; right null = identity). */
export interface Operator {
  left: Mat | null;
  right: Mat | null;
}

export interface Gram {
  /** [d, d] */
  G: Mat;
  /** tr G = squared Frobenius norm of the operator */
  trace: number;
}

const trace = (G: Mat): number => {
  let t = 0;
  for (let i = 0; i < G.rows; i++) t += G.data[i * G.cols + i];
  return t;
};

const withTrace = (G: Mat): Gram => ({ G, trace: trace(G) });

/**
 * aᵀa [cols, cols]; with a Gemm the product runs in float32 on it (for the tall embedding / neuron
 * matrices, where float64 loops are slow and float32 is ample), else in float64.
 */
function gramOfColumns(a: Mat, gemm?: Gemm): Mat {
  if (!gemm) return gramCols(a);
  const a32 = Float32Array.from(a.data);
  return mat(
    a.cols,
    a.cols,
    Float64Array.from(gemm.matmul(a32, a32, a.cols, a.rows, a.cols, { transA: true })),
  );
}

/** G_W = rightᵀ (leftᵀ left) right, [d, d]. */
export function writerGram(w: Operator, gemm?: Gemm): Gram {
  const right = w.right!;
  if (!w.left) return withTrace(gramOfColumns(right, gemm));
  return withTrace(matmul(transpose(right), matmul(gramCols(w.left), right)));
}

/** G_R = left (right rightᵀ) leftᵀ, [d, d]. */
export function readerGram(r: Operator, gemm?: Gemm): Gram {
  const left = r.left!;
  if (!r.right) return withTrace(gemm ? gramOfColumns(transpose(left), gemm) : gramRows(left));
  return withTrace(matmul(left, matmul(gramRows(r.right), transpose(left))));
}

/** ‖W R‖ / (‖W‖ ‖R‖) from the two Grams (0 when either is zero). */
export function gramScore(w: Gram, r: Gram): number {
  const denom = Math.sqrt(w.trace * r.trace);
  return denom > 0 ? Math.sqrt(Math.max(0, innerProduct(w.G, r.G))) / denom : 0;
}

/** Shape of an operator's factors: `[n, k, d]` for a writer (n = 0: identity left), `[d, k, m]` for a reader (m = 0: identity right). */
export type OperatorShape = readonly [number, number, number];

export function shapeOf(o: Operator, role: 'writer' | 'reader'): OperatorShape {
  if (role === 'writer') return [o.left ? o.left.rows : 0, o.right!.rows, o.right!.cols];
  return [o.left!.rows, o.left!.cols, o.right ? o.right.cols : 0];
}

/** Gram of `Aᵀ A` for a Gaussian A [n, p] (n ≥ p): Wishart W_p(n, I) by Bartlett's decomposition. */
function wishart(n: number, p: number, normal: Sampler, gemm?: Gemm): Mat {
  const T = mat(p, p);
  for (let i = 0; i < p; i++) {
    T.data[i * p + i] = Math.sqrt(chiSquare(n - i, normal));
    for (let j = 0; j < i; j++) T.data[i * p + j] = normal();
  }
  return gramOfColumns(transpose(T), gemm);
}

/** Gram of the columns of a Gaussian [n, p] matrix. */
const randomGramCols = (n: number, p: number, normal: Sampler, gemm?: Gemm): Mat =>
  n >= p ? wishart(n, p, normal, gemm) : gramOfColumns(randomMat(n, p, normal), gemm);

/** The writer Gram of a random operator with the given factor shapes. */
export function randomWriterGram([n, k, d]: OperatorShape, normal: Sampler, gemm?: Gemm): Gram {
  if (n === 0) return withTrace(randomGramCols(k, d, normal, gemm));
  const right = randomMat(k, d, normal);
  return withTrace(matmul(transpose(right), matmul(randomGramCols(n, k, normal), right)));
}

/** The reader Gram of a random operator with the given factor shapes. */
export function randomReaderGram([d, k, m]: OperatorShape, normal: Sampler, gemm?: Gemm): Gram {
  if (m === 0) return withTrace(randomGramCols(k, d, normal, gemm));
  const left = randomMat(d, k, normal);
  return withTrace(matmul(left, matmul(randomGramCols(m, k, normal), transpose(left))));
}

export interface Baseline {
  /** Scores of `samples` random writer/reader pairs of the same shapes */
  samples: number;
  mean: number;
  /** 2.5% and 97.5% quantiles */
  lo: number;
  hi: number;
}

/** Mean and 95% band of `values`. */
export function summarise(values: number[]): Baseline {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const x = p * (sorted.length - 1);
    const i = Math.floor(x);
    return sorted[i] + (sorted[Math.min(i + 1, sorted.length - 1)] - sorted[i]) * (x - i);
  };
  return {
    samples: values.length,
    mean: values.reduce((a, v) => a + v, 0) / values.length,
    lo: q(0.025),
    hi: q(0.975),
  };
}

/**
 * Score of random factored operators A = L_w R_w (writer) and B = L_r R_r (reader) computed in the
 * thin spaces: with M = R_w L_r, ‖A B‖² = tr(Mᵀ G_w M G_r), G_w = L_wᵀ L_w, G_r = R_r R_rᵀ.
 */
function randomFactoredScore([n, k, d]: OperatorShape, [, k2, m]: OperatorShape, normal: Sampler): number {
  const Gw = randomGramCols(n, k, normal);
  const Gr = randomGramCols(m, k2, normal);
  const Rw = randomMat(k, d, normal);
  const Lr = randomMat(d, k2, normal);
  const M = matmul(Rw, Lr);
  const product = innerProduct(matmul(Gw, M), matmul(M, Gr));
  const normW = innerProduct(Gw, gramRows(Rw));
  const normR = innerProduct(gramCols(Lr), Gr);
  return Math.sqrt(Math.max(0, product) / (normW * normR));
}

/** Baseline of the composition score between random operators of the given shapes. */
export function baselineFor(
  writer: OperatorShape,
  reader: OperatorShape,
  samples: number,
  normal: Sampler,
): Baseline {
  const scores: number[] = [];
  const thin = writer[0] > 0 && reader[2] > 0;
  for (let i = 0; i < samples; i++)
    scores.push(
      thin
        ? randomFactoredScore(writer, reader, normal)
        : gramScore(randomWriterGram(writer, normal), randomReaderGram(reader, normal)),
    );
  return summarise(scores);
}
