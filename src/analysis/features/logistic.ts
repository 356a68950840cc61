/**
 * Logistic probes: multinomial logistic regression (softmax regression) on rows Z [n, d] with classes y,
 * minimising the mean cross-entropy plus `(l2 / 2) ‖W‖²` (the bias unpenalised; `l2 = 1 / n` is
 * scikit-learn's default C = 1), by full-batch L-BFGS (memory 10, backtracking Armijo line search) from a
 * starting classifier (the LDA probe, `lda.ts`: usually a few tens of iterations from there). Each
 * iteration is two GEMMs (logits `Z W`, gradient `Zᵀ (P − Y)`). Rows with class −1 are left out.
 */
import { check } from '../../errors.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import type { LinearClassifier } from './lda.ts';

export interface LogisticOptions {
  /** L2 penalty on W (default 1 / labelled rows). */
  l2?: number;
  /** Iteration cap (default 50). */
  iterations?: number;
  /** Stop when the gradient's max-norm falls below this (default 1e-4). */
  tolerance?: number;
}

/** The labelled rows of Z [n, d] (class >= 0) as float32 rows and their classes. */
function labelledRows(Z: Float32Array, d: number, y: Int32Array): { X: Float32Array; cls: Int32Array } {
  const keep: number[] = [];
  y.forEach((c, i) => c >= 0 && keep.push(i));
  const X = new Float32Array(keep.length * d);
  keep.forEach((r, i) => X.set(Z.subarray(r * d, (r + 1) * d), i * d));
  return { X, cls: Int32Array.from(keep, (r) => y[r]) };
}

/**
 * Mean cross-entropy + penalty at θ = [W (d·C, row-major [d, C]), b (C)], and its gradient into `grad`.
 */
function objective(
  gemm: Gemm,
  X: Float32Array,
  cls: Int32Array,
  d: number,
  C: number,
  l2: number,
  theta: Float64Array,
  grad: Float64Array,
): number {
  const n = cls.length;
  const W = Float32Array.from(theta.subarray(0, d * C));
  const logits = gemm.matmul(X, W, n, d, C);
  const R = new Float32Array(n * C); // P − Y, divided by n
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[i * C + c] + theta[d * C + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[i * C + c] + theta[d * C + c] - max);
    const logSum = max + Math.log(sum);
    for (let c = 0; c < C; c++) {
      const z = logits[i * C + c] + theta[d * C + c];
      R[i * C + c] = (Math.exp(z - logSum) - (c === cls[i] ? 1 : 0)) / n;
    }
    loss += logSum - (logits[i * C + cls[i]] + theta[d * C + cls[i]]);
  }
  const gW = gemm.matmul(X, R, d, n, C, { transA: true });
  let penalty = 0;
  for (let j = 0; j < d * C; j++) {
    grad[j] = gW[j] + l2 * theta[j];
    penalty += theta[j] * theta[j];
  }
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += R[i * C + c];
    grad[d * C + c] = s;
  }
  return loss / n + (l2 / 2) * penalty;
}

const dotOf = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * The logistic probe of classes `y` [n] (−1: unlabelled; `classes` classes) on Z [n, d], from `init`:
 * weights W [d, C] and biases b [C] on Z, as `LinearClassifier`.
 */
export function logisticClassifier(
  gemm: Gemm,
  Z: Float32Array,
  d: number,
  y: Int32Array,
  classes: number,
  init: LinearClassifier,
  options: LogisticOptions = {},
): LinearClassifier {
  const { X, cls } = labelledRows(Z, d, y);
  const n = cls.length;
  check(n > 0, 'BAD_INPUT', 'a logistic probe needs at least one labelled training row');
  const C = classes;
  check(
    init.W.length === d * C && init.b.length === C,
    'BAD_SHAPE',
    'the starting classifier has the wrong shape',
  );
  const l2 = options.l2 ?? 1 / n;
  check(Number.isFinite(l2) && l2 >= 0, 'BAD_INPUT', `the L2 penalty must be >= 0, got ${l2}`);
  const iterations = options.iterations ?? 50;
  const tolerance = options.tolerance ?? 1e-4;
  const m = d * C + C;
  let theta = new Float64Array(m);
  theta.set(init.W);
  theta.set(init.b, d * C);
  let grad = new Float64Array(m);
  let f = objective(gemm, X, cls, d, C, l2, theta, grad);
  const S: Float64Array[] = [];
  const Yd: Float64Array[] = [];
  const direction = new Float64Array(m);
  for (let it = 0; it < iterations; it++) {
    if (grad.reduce((a, v) => Math.max(a, Math.abs(v)), 0) < tolerance) break;
    // Two-loop recursion: direction = −H grad.
    direction.set(grad);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dotOf(S[k], direction) / dotOf(Yd[k], S[k]);
      alpha[k] = a;
      for (let j = 0; j < m; j++) direction[j] -= a * Yd[k][j];
    }
    const last = S.length - 1;
    const gamma =
      last >= 0
        ? dotOf(S[last], Yd[last]) / dotOf(Yd[last], Yd[last])
        : 1 / Math.max(1, Math.sqrt(dotOf(grad, grad)));
    for (let j = 0; j < m; j++) direction[j] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = dotOf(Yd[k], direction) / dotOf(Yd[k], S[k]);
      for (let j = 0; j < m; j++) direction[j] += S[k][j] * (alpha[k] - beta);
    }
    for (let j = 0; j < m; j++) direction[j] = -direction[j];
    let slope = dotOf(grad, direction);
    if (!(slope < 0)) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      S.length = 0;
      Yd.length = 0;
      for (let j = 0; j < m; j++) direction[j] = -grad[j];
      slope = -dotOf(grad, grad);
    }
    let step = 1;
    const next = new Float64Array(m);
    const nextGrad = new Float64Array(m);
    let fNext = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let j = 0; j < m; j++) next[j] = theta[j] + step * direction[j];
      fNext = objective(gemm, X, cls, d, C, l2, next, nextGrad);
      if (fNext <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNext < f)) break;
    const s = next.map((v, j) => v - theta[j]);
    const yk = nextGrad.map((v, j) => v - grad[j]);
    if (dotOf(s, yk) > 1e-12) {
      S.push(s);
      Yd.push(yk);
      if (S.length > 10) {
        S.shift();
        Yd.shift();
      }
    }
    [theta, grad, f] = [next, nextGrad, fNext];
  }
  return { W: theta.slice(0, d * C), b: theta.slice(d * C) };
}
