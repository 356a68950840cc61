/**
 * Linear probes in closed form: shrinkage linear discriminant analysis (LDA). A label's classes are
 * modelled as Gaussians with their own means and one shared (pooled within-class) covariance Σ, so the
 * class posterior is a softmax of linear logits `x · W + b` with
 *   W_c = Σ_s⁻¹ μ_c,  b_c = −½ μ_c · W_c + log π_c,  Σ_s = (1 − α) Σ + α (tr Σ / d) I
 * (α: shrinkage, which keeps Σ_s invertible for constant or collinear features). Everything comes from
 * sufficient statistics of the training rows: the Gram matrix `Zᵀ Z` (one GEMM per hook point, shared
 * by every label and control) and per-class sums (one pass per label). A probe on a subset of the
 * features or on a projection `Z R` is then exact LDA on those features from sub-blocks or `Rᵀ Σ R`,
 * with no further pass over the data.
 */
import { check } from '../../errors.ts';
import type { Gemm } from '../../tensor/gemm.ts';

/** Training statistics of one label on features Z [N, d]. */
export interface ClassStats {
  d: number;
  /** Labelled training rows. */
  n: number;
  /** [C] rows per class */
  counts: Float64Array;
  /** [C, d] class means (classes without rows: the grand mean) */
  means: Float64Array;
  /** [d, d] pooled within-class covariance (scatter / (n − non-empty classes)) */
  within: Float64Array;
}

/** A linear classifier on the full feature space: logits = z · W + b. */
export interface LinearClassifier {
  /** [d, C] */
  W: Float64Array;
  /** [C] */
  b: Float64Array;
}

/** `rows` of Z [N, d] as [rows.length, d]. */
export function gather(Z: Float32Array, d: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(Z.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
  return out;
}

/** Gram matrix `Zᵀ Z` [d, d] over `rows` of Z [N, d] (one GEMM). */
export function gram(gemm: Gemm, Z: Float32Array, d: number, rows: Int32Array): Float64Array {
  const Zr = gather(Z, d, rows);
  return new Float64Array(gemm.matmul(Zr, Zr, d, rows.length, d, { transA: true }));
}

/** Per-class row counts and feature sums of one label. */
export interface ClassSums {
  /** [C] */
  counts: Float64Array;
  /** [C, d] */
  sums: Float64Array;
}

/**
 * Class counts and sums of several labels over `rows` of Z [N, d] (-1 = unlabelled, not counted), as
 * one GEMM `Yᵀ Z` of the one-hot labels of all of them.
 */
export function classSums(
  gemm: Gemm,
  Z: Float32Array,
  d: number,
  rows: Int32Array,
  labels: readonly { y: Int32Array; classes: number }[],
): ClassSums[] {
  const offsets = [0];
  for (const l of labels) offsets.push(offsets[offsets.length - 1] + l.classes);
  const total = offsets[offsets.length - 1];
  const n = rows.length;
  const Y = new Float32Array(n * total);
  labels.forEach((l, k) =>
    rows.forEach((r, i) => {
      if (l.y[r] >= 0) Y[i * total + offsets[k] + l.y[r]] = 1;
    }),
  );
  const S = gemm.matmul(Y, gather(Z, d, rows), total, n, d, { transA: true });
  return labels.map((l, k) => {
    const counts = new Float64Array(l.classes);
    for (const r of rows) if (l.y[r] >= 0) counts[l.y[r]]++;
    return { counts, sums: new Float64Array(S.subarray(offsets[k] * d, offsets[k + 1] * d)) };
  });
}

/** `G` (the Gram matrix of `rows`) without the rows where `y` is -1. */
export function labelledGram(
  gemm: Gemm,
  Z: Float32Array,
  d: number,
  rows: Int32Array,
  y: Int32Array,
  G: Float64Array,
): Float64Array {
  const unlabelled = rows.filter((r) => y[r] < 0);
  if (unlabelled.length === 0) return G;
  const Gu = gram(gemm, Z, d, unlabelled);
  return G.map((v, i) => v - Gu[i]);
}

/** Class statistics from the labelled rows' Gram matrix `G` [d, d] and the label's class sums. */
export function classStats(d: number, G: Float64Array, { counts, sums }: ClassSums): ClassStats {
  const classes = counts.length;
  const n = counts.reduce((a, v) => a + v, 0);
  check(n > 0, 'BAD_INPUT', 'a probe needs at least one labelled training row');
  const grand = new Float64Array(d);
  for (let c = 0; c < classes; c++) for (let j = 0; j < d; j++) grand[j] += sums[c * d + j] / n;
  const means = new Float64Array(classes * d);
  const scatter = G.slice();
  let filled = 0;
  for (let c = 0; c < classes; c++) {
    if (counts[c] === 0) {
      means.set(grand, c * d);
      continue;
    }
    filled++;
    for (let j = 0; j < d; j++) means[c * d + j] = sums[c * d + j] / counts[c];
    // Within-class scatter = Σ z zᵀ − Σ_c n_c μ_c μ_cᵀ.
    const mc = means.subarray(c * d, (c + 1) * d);
    for (let i = 0; i < d; i++) {
      const mi = counts[c] * mc[i];
      const row = i * d;
      for (let j = 0; j < d; j++) scatter[row + j] -= mi * mc[j];
    }
  }
  const dof = Math.max(1, n - filled);
  for (let i = 0; i < scatter.length; i++) scatter[i] /= dof;
  return { d, n, counts, means, within: scatter };
}

/**
 * Between-class over within-class variance (ANOVA F up to constant factors) of every feature; the k
 * largest, ties by index.
 */
export function topFeatures(stats: ClassStats, k: number): number[] {
  const { d, counts, means, within } = stats;
  const C = counts.length;
  const f = Array.from({ length: d }, (_, j) => {
    let grand = 0;
    for (let c = 0; c < C; c++) grand += counts[c] * means[c * d + j];
    grand /= stats.n;
    let between = 0;
    for (let c = 0; c < C; c++) between += counts[c] * (means[c * d + j] - grand) ** 2;
    const w = within[j * d + j];
    return w > 1e-12 ? between / w : between > 1e-12 ? Infinity : 0;
  });
  return Array.from(f.keys())
    .sort((a, b) => f[b] - f[a] || a - b)
    .slice(0, Math.min(k, d));
}

/**
 * The LDA classifier of a label on all features, on a feature subset (`{ features }`: weights outside
 * it are zero) or on the projection `Z R` (`{ projection: R [d, k] }`: W = R W_k), as weights on Z.
 */
export function ldaClassifier(
  stats: ClassStats,
  shrinkage: number,
  basis: { features: readonly number[] } | { projection: Float32Array; k: number } | null = null,
): LinearClassifier {
  check(shrinkage >= 0 && shrinkage <= 1, 'BAD_INPUT', `shrinkage must be in [0, 1], got ${shrinkage}`);
  const { d, counts, means, within } = stats;
  const C = counts.length;
  // Basis B [d, m] (identity, a column subset or R): Σ_B = Bᵀ Σ B, μ_B = Bᵀ μ.
  let m = d;
  let project = (v: Float64Array): Float64Array => v;
  let sigma = within;
  if (basis && 'features' in basis) {
    const f = basis.features;
    m = f.length;
    project = (v) => Float64Array.from(f, (j) => v[j]);
    sigma = Float64Array.from({ length: m * m }, (_, i) => within[f[Math.floor(i / m)] * d + f[i % m]]);
  } else if (basis) {
    const { projection: R, k } = basis;
    m = k;
    project = (v) => {
      const out = new Float64Array(k);
      for (let j = 0; j < d; j++) for (let a = 0; a < k; a++) out[a] += R[j * k + a] * v[j];
      return out;
    };
    const SR = new Float64Array(d * k);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        const s = within[i * d + j];
        if (s !== 0) for (let a = 0; a < k; a++) SR[i * k + a] += s * R[j * k + a];
      }
    sigma = new Float64Array(k * k);
    for (let i = 0; i < d; i++)
      for (let a = 0; a < k; a++)
        for (let c = 0; c < k; c++) sigma[a * k + c] += R[i * k + a] * SR[i * k + c];
  }
  let trace = 0;
  for (let i = 0; i < m; i++) trace += sigma[i * m + i];
  const ridge = Math.max((shrinkage * trace) / m, 1e-9);
  const S = new Float64Array(m * m);
  for (let i = 0; i < m * m; i++) S[i] = (1 - shrinkage) * sigma[i] + (i % (m + 1) === 0 ? ridge : 0);
  const L = cholesky(S, m);
  const total = counts.reduce((a, v) => a + v, 0);
  const Wm = new Float64Array(m * C);
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const mu = project(means.subarray(c * d, (c + 1) * d));
    const w = choleskySolve(L, m, mu);
    let dot = 0;
    for (let j = 0; j < m; j++) {
      Wm[j * C + c] = w[j];
      dot += mu[j] * w[j];
    }
    // Smoothed prior: a class without training rows keeps a finite, small logit.
    b[c] = -0.5 * dot + Math.log((counts[c] + 0.5) / (total + 0.5 * C));
  }
  if (!basis) return { W: Wm, b };
  const W = new Float64Array(d * C);
  if ('features' in basis) basis.features.forEach((j, a) => W.set(Wm.subarray(a * C, (a + 1) * C), j * C));
  else
    for (let j = 0; j < d; j++)
      for (let a = 0; a < m; a++)
        for (let c = 0; c < C; c++) W[j * C + c] += basis.projection[j * m + a] * Wm[a * C + c];
  return { W, b };
}

/**
 * Lower-triangular L with L Lᵀ = S (S [m, m] symmetric positive definite), Cholesky–Banachiewicz.
 * Rows are computed two at a time so each L[j, k] read serves both (every entry keeps its own
 * summation order, so the factor is bit for bit the one-row-at-a-time factor).
 */
export function cholesky(S: Float64Array, m: number): Float64Array {
  const L = new Float64Array(m * m);
  const diagonal = (s: number) => Math.sqrt(Math.max(s, 1e-12));
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const r0 = i * m;
    const r1 = r0 + m;
    for (let j = 0; j < i; j++) {
      const rj = j * m;
      let s0 = S[r0 + j];
      let s1 = S[r1 + j];
      for (let k = 0; k < j; k++) {
        const l = L[rj + k];
        s0 -= L[r0 + k] * l;
        s1 -= L[r1 + k] * l;
      }
      L[r0 + j] = s0 / L[rj + j];
      L[r1 + j] = s1 / L[rj + j];
    }
    let s0 = S[r0 + i];
    let s1 = S[r1 + i];
    for (let k = 0; k < i; k++) {
      s0 -= L[r0 + k] * L[r0 + k];
      s1 -= L[r1 + k] * L[r0 + k];
    }
    L[r0 + i] = diagonal(s0);
    L[r1 + i] = s1 / L[r0 + i];
    let s2 = S[r1 + i + 1];
    for (let k = 0; k <= i; k++) s2 -= L[r1 + k] * L[r1 + k];
    L[r1 + i + 1] = diagonal(s2);
  }
  if (i < m) {
    const r0 = i * m;
    for (let j = 0; j <= i; j++) {
      const rj = j * m;
      let s = S[r0 + j];
      for (let k = 0; k < j; k++) s -= L[r0 + k] * L[rj + k];
      L[r0 + j] = j === i ? diagonal(s) : s / L[rj + j];
    }
  }
  return L;
}

/** x with L Lᵀ x = v. */
function choleskySolve(L: Float64Array, m: number, v: Float64Array): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    let s = v[i];
    for (let k = 0; k < i; k++) s -= L[ri + k] * y[k];
    y[i] = s / L[ri + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < m; k++) s -= L[k * m + i] * y[k];
    y[i] = s / L[i * m + i];
  }
  return y;
}
