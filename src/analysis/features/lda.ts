/**
 * Linear probes in closed form: shrinkage linear discriminant analysis (LDA). A label's classes are
 * modelled as Gaussians with their own means and one shared (pooled within-class) covariance Σ, so the
 * class posterior is a softmax of linear logits `x · W + b` with
 *   W_c = Σ_s⁻¹ μ_c,  b_c = −½ μ_c · W_c + log π_c,  Σ_s = (1 − α) Σ + α (tr Σ / d) I
 * (α: shrinkage, which keeps Σ_s invertible for constant or collinear features). Everything comes from
 * sufficient statistics of the training rows: the Gram matrix `G = Zᵀ Z` of the labelled rows (one GEMM
 * per hook point, shared by every label and control over those rows) and per-class sums (one GEMM for
 * every label and control).
 *
 * Σ is never formed: with n_c rows and mean μ_c in class c, dof · Σ = G − Σ_c n_c μ_c μ_cᵀ, so
 *   Σ_s = (β G + ρ I) − β Σ_c n_c μ_c μ_cᵀ,  β = (1 − α) / dof,  ρ = α tr Σ / d,
 * a matrix shared by every label over the same rows (up to β and ρ) minus a rank-C term. G is reduced
 * once to tridiagonal form G = Q T Qᵀ (Householder), so (β G + ρ I)⁻¹ = Q (β T + ρ I)⁻¹ Qᵀ costs a
 * tridiagonal solve for any β and ρ, and the rank-C term is a C × C Woodbury correction: every label and
 * control costs O(d² C) instead of a d³ factorisation, with the same Σ_s (no change of regularisation).
 * A probe on a subset of the features or on a projection `Z R` is the same LDA on those features, from
 * a sub-block of G or `Rᵀ G R` and the projected class means, with no further pass over the data.
 */
import { check } from '../../errors.ts';
import type { Gemm } from '../../tensor/gemm.ts';

/** G = Q T Qᵀ: T tridiagonal, Q a product of Householder reflectors. */
export interface Tridiagonal {
  /** [d] T's diagonal */
  diagonal: Float64Array;
  /** [d − 1] T's sub- (and super-) diagonal */
  offDiagonal: Float64Array;
  /**
   * [R, d] reflector k is H_k = I − tau[k] v vᵀ with v = V[k, :], zero on coordinates ≤ k;
   * Q = H_0 H_1 … H_{R−1}. R is d − 2 rounded up to a multiple of 4 (padding: tau 0, the identity).
   */
  V: Float64Array;
  /** [R] */
  tau: Float64Array;
}

/** The Gram matrix of a label's labelled training rows and its tridiagonal form. */
export interface RowGram extends Tridiagonal {
  d: number;
  /** [d, d] Zᵀ Z over the rows */
  G: Float64Array;
}

/** Training statistics of one label on features Z [N, d]. */
export interface ClassStats {
  /** Gram matrix of the labelled training rows (shared by every label and control over those rows). */
  gram: RowGram;
  /** Labelled training rows. */
  n: number;
  /** [C] rows per class */
  counts: Float64Array;
  /** [C, d] class means (classes without rows: the grand mean) */
  means: Float64Array;
  /**
   * Degrees of freedom of the pooled within-class covariance Σ = (G − Σ_c n_c μ_c μ_cᵀ) / dof:
   * n − non-empty classes (at least 1).
   */
  dof: number;
}

/** A linear classifier on the full feature space: logits = z · W + b. */
export interface LinearClassifier {
  /** [d, C] */
  W: Float64Array;
  /** [C] */
  b: Float64Array;
}

/** A feature subset (weights outside it are zero) or a projection R [d, k] of the features. */
export type Basis = { features: readonly number[] } | { projection: Float32Array; k: number };

/** `rows` of Z [N, d] as [rows.length, d]. */
export function gather(Z: Float32Array, d: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(Z.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
  return out;
}

/** Gram matrix `Zᵀ Z` [d, d] of every row of Z [n, d] (one GEMM). */
export function gram(gemm: Gemm, Z: Float32Array, d: number): Float64Array {
  return new Float64Array(gemm.matmul(Z, Z, d, Z.length / d, d, { transA: true }));
}

/** A Gram matrix G [d, d] with its tridiagonal form. */
export function rowGram(G: Float64Array, d: number): RowGram {
  return { d, G, ...tridiagonalise(G, d) };
}

/** One-hot classes of several labels over some rows, with each label's class counts. */
export interface ClassIndicators {
  /**
   * [Σ classes, rows] (transposed: the sums are one GEMM without a transpose): label k's classes in
   * rows offsets[k].. (unlabelled rows: all zero)
   */
  Yt: Float32Array;
  offsets: number[];
  /** [label][C] */
  counts: Float64Array[];
}

/** The classes of `labels` (-1 = unlabelled) at `rows` as one-hot indicators. */
export function classIndicators(
  rows: Int32Array,
  labels: readonly { y: Int32Array; classes: number }[],
): ClassIndicators {
  const offsets = [0];
  for (const l of labels) offsets.push(offsets[offsets.length - 1] + l.classes);
  const total = offsets[offsets.length - 1];
  const Yt = new Float32Array(total * rows.length);
  const counts = labels.map((l, k) => {
    const n = new Float64Array(l.classes);
    rows.forEach((r, i) => {
      const c = l.y[r];
      if (c < 0) return;
      Yt[(offsets[k] + c) * rows.length + i] = 1;
      n[c]++;
    });
    return n;
  });
  return { Yt, offsets, counts };
}

/** Per-class row counts and feature sums of one label. */
export interface ClassSums {
  /** [C] */
  counts: Float64Array;
  /** [C, d] */
  sums: Float64Array;
}

/** Class counts and sums of every label of `ind` over the rows Z [n, d] it indexes (one GEMM `Yᵀ Z`). */
export function classSums(gemm: Gemm, ind: ClassIndicators, Z: Float32Array, d: number): ClassSums[] {
  const { offsets } = ind;
  const S = gemm.matmul(ind.Yt, Z, offsets[offsets.length - 1], Z.length / d, d);
  return ind.counts.map((counts, k) => ({
    counts,
    sums: new Float64Array(S.subarray(offsets[k] * d, offsets[k + 1] * d)),
  }));
}

/** Class statistics from the labelled rows' Gram matrix and the label's class sums over those rows. */
export function classStats(gram: RowGram, { counts, sums }: ClassSums): ClassStats {
  const { d } = gram;
  const classes = counts.length;
  const n = counts.reduce((a, v) => a + v, 0);
  check(n > 0, 'BAD_INPUT', 'a probe needs at least one labelled training row');
  const grand = new Float64Array(d);
  for (let c = 0; c < classes; c++) for (let j = 0; j < d; j++) grand[j] += sums[c * d + j] / n;
  const means = new Float64Array(classes * d);
  let filled = 0;
  for (let c = 0; c < classes; c++) {
    if (counts[c] === 0) {
      means.set(grand, c * d);
      continue;
    }
    filled++;
    for (let j = 0; j < d; j++) means[c * d + j] = sums[c * d + j] / counts[c];
  }
  return { gram, n, counts, means, dof: Math.max(1, n - filled) };
}

/**
 * Between-class over within-class variance (ANOVA F up to constant factors) of every feature; the k
 * largest, ties by index.
 */
export function topFeatures(stats: ClassStats, k: number): number[] {
  const { counts, means, gram, dof } = stats;
  const { d, G } = gram;
  const C = counts.length;
  const f = Array.from({ length: d }, (_, j) => {
    let grand = 0;
    let square = 0;
    for (let c = 0; c < C; c++) {
      grand += counts[c] * means[c * d + j];
      square += counts[c] * means[c * d + j] ** 2;
    }
    grand /= stats.n;
    let between = 0;
    for (let c = 0; c < C; c++) between += counts[c] * (means[c * d + j] - grand) ** 2;
    const w = (G[j * d + j] - square) / dof;
    return w > 1e-12 ? between / w : between > 1e-12 ? Infinity : 0;
  });
  return Array.from(f.keys())
    .sort((a, b) => f[b] - f[a] || a - b)
    .slice(0, Math.min(k, d));
}

/** Bᵀ X B [m, m] for a symmetric X [d, d] and a basis B [d, m]. */
function congruence(X: Float64Array, d: number, basis: Basis): Float64Array {
  if ('features' in basis) {
    const f = basis.features;
    const m = f.length;
    return Float64Array.from({ length: m * m }, (_, i) => X[f[Math.floor(i / m)] * d + f[i % m]]);
  }
  const { projection: R, k } = basis;
  // Rᵀ [k, d] in float64, (X R)ᵀ [k, d] from rows of X (symmetric), then Rᵀ X R.
  const Rt = Float64Array.from({ length: k * d }, (_, i) => R[(i % d) * k + Math.floor(i / d)]);
  const XRt = new Float64Array(k * d);
  for (let i = 0; i < d; i++)
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[i * d + j] * Rt[a * d + j];
      XRt[a * d + i] = s;
    }
  const out = new Float64Array(k * k);
  for (let a = 0; a < k; a++)
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += Rt[a * d + j] * XRt[c * d + j];
      out[a * k + c] = s;
    }
  return out;
}

/** The Gram matrix of the features Z B (Bᵀ G B) with its tridiagonal form. */
export function basisGram(gram: RowGram, basis: Basis): RowGram {
  return rowGram(congruence(gram.G, gram.d, basis), 'features' in basis ? basis.features.length : basis.k);
}

/**
 * A label's statistics on the features Z B (class means Bᵀ μ_c), given their Gram matrix
 * (`basisGram(stats.gram, basis)`, shared by every label over the same rows).
 */
export function basisStats(stats: ClassStats, basis: Basis, gram: RowGram): ClassStats {
  const { d } = stats.gram;
  const m = gram.d;
  const C = stats.counts.length;
  const means = new Float64Array(C * m);
  for (let c = 0; c < C; c++) {
    const mu = stats.means.subarray(c * d, (c + 1) * d);
    for (let a = 0; a < m; a++)
      if ('features' in basis) means[c * m + a] = mu[basis.features[a]];
      else for (let j = 0; j < d; j++) means[c * m + a] += basis.projection[j * m + a] * mu[j];
  }
  return { ...stats, gram, means };
}

/** A classifier on the features Z B [.., m] as weights on Z [.., d]: W = B W_B. */
export function liftClassifier({ W: Wm, b }: LinearClassifier, basis: Basis, d: number): LinearClassifier {
  const C = b.length;
  const W = new Float64Array(d * C);
  if ('features' in basis) basis.features.forEach((j, a) => W.set(Wm.subarray(a * C, (a + 1) * C), j * C));
  else {
    const { projection: R, k } = basis;
    for (let j = 0; j < d; j++)
      for (let a = 0; a < k; a++) for (let c = 0; c < C; c++) W[j * C + c] += R[j * k + a] * Wm[a * C + c];
  }
  return { W, b };
}

/** Biases b_c = −½ μ_c · W_c + log π_c from the quadratic terms `q` [C]; smoothed priors. */
function biases(q: Float64Array, counts: Float64Array): Float64Array {
  const C = counts.length;
  const total = counts.reduce((a, v) => a + v, 0);
  // Smoothed prior: a class without training rows keeps a finite, small logit.
  return q.map((v, c) => -0.5 * v + Math.log((counts[c] + 0.5) / (total + 0.5 * C)));
}

/** Shrinkage must lie in [0, 1]. */
function checkShrinkage(shrinkage: number): void {
  check(shrinkage >= 0 && shrinkage <= 1, 'BAD_INPUT', `shrinkage must be in [0, 1], got ${shrinkage}`);
}

/**
 * The LDA classifier of a label on all features, on a feature subset (`{ features }`: weights outside
 * it are zero) or on the projection `Z R` (`{ projection: R [d, k] }`: W = R W_k), as weights on Z:
 * exact LDA on those features.
 */
export function ldaClassifier(
  stats: ClassStats,
  shrinkage: number,
  basis: Basis | null = null,
): LinearClassifier {
  if (!basis) return ldaClassifiers([stats], shrinkage)[0];
  const onBasis = basisStats(stats, basis, basisGram(stats.gram, basis));
  return liftClassifier(ldaClassifiers([onBasis], shrinkage)[0], basis, stats.gram.d);
}

/**
 * The LDA classifiers on all features of several labels (or controls) over the same labelled rows
 * (one `RowGram`), in one pass: the means of all are rotated by Qᵀ together, each is solved in the
 * tridiagonal basis with its own β and ρ plus a C × C Woodbury correction for its class means, and the
 * solutions are rotated back together. Exactly the Σ_s of the module comment, O(d² Σ C) in all.
 */
export function ldaClassifiers(stats: readonly ClassStats[], shrinkage: number): LinearClassifier[] {
  checkShrinkage(shrinkage);
  if (stats.length === 0) return [];
  const gram = stats[0].gram;
  check(
    stats.every((s) => s.gram === gram),
    'BAD_INPUT',
    'classifiers fitted together share their rows',
  );
  const { d, G } = gram;
  const offsets = [0];
  for (const s of stats) offsets.push(offsets[offsets.length - 1] + s.counts.length);
  // M [Σ C, d]: every class mean as a row, rotated to M̃ = M Q (each row x ← Qᵀ x).
  const M = new Float64Array(offsets[offsets.length - 1] * d);
  stats.forEach((s, i) => M.set(s.means, offsets[i] * d));
  rotate(gram, M, offsets[offsets.length - 1], true);
  let traceG = 0;
  for (let j = 0; j < d; j++) traceG += G[j * d + j];
  const X = new Float64Array(M.length);
  const quadratic = stats.map((s, i) => {
    const { counts, means, dof } = s;
    const C = counts.length;
    const o = offsets[i];
    let between = 0;
    for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) between += counts[c] * means[c * d + j] ** 2;
    const beta = (1 - shrinkage) / dof;
    const ridge = Math.max((shrinkage * (traceG - between)) / dof / d, 1e-9);
    // P = (β T + ρ I)⁻¹ M̃ into X; then Σ_s⁻¹ M̃ = P E⁻¹ with K_ac = μ̃_a · p_c, E = I − β diag(n) K
    // (Woodbury), all in rows of X.
    tridiagonalSolve(gram, beta, ridge, M, X, o, C);
    const K = new Float64Array(C * C);
    for (let a = 0; a < C; a++)
      for (let c = 0; c < C; c++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += M[(o + a) * d + j] * X[(o + c) * d + j];
        K[a * C + c] = dot;
      }
    const E = K.map((v, i) => (Math.floor(i / C) === i % C ? 1 : 0) - beta * counts[Math.floor(i / C)] * v);
    const Einv = invert(E, C);
    const P = X.slice(o * d, (o + C) * d);
    X.fill(0, o * d, (o + C) * d);
    for (let a = 0; a < C; a++)
      for (let c = 0; c < C; c++) {
        const e = Einv[a * C + c];
        for (let j = 0; j < d; j++) X[(o + c) * d + j] += e * P[a * d + j];
      }
    // μ_c · Σ_s⁻¹ μ_c = (K E⁻¹)_cc
    return Float64Array.from({ length: C }, (_, c) => {
      let s = 0;
      for (let a = 0; a < C; a++) s += K[c * C + a] * Einv[a * C + c];
      return s;
    });
  });
  rotate(gram, X, offsets[offsets.length - 1], false);
  return stats.map((s, i) => {
    const C = s.counts.length;
    const W = new Float64Array(d * C);
    for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) W[j * C + c] = X[(offsets[i] + c) * d + j];
    return { W, b: biases(quadratic[i], s.counts) };
  });
}

/**
 * Householder tridiagonalisation of a symmetric G [d, d]: G = Q T Qᵀ (only the lower triangle is read
 * and updated; 2/3 d³ multiply-adds).
 */
export function tridiagonalise(G: Float64Array, d: number): Tridiagonal {
  const A = G.slice();
  const diagonal = new Float64Array(d);
  const offDiagonal = new Float64Array(Math.max(d - 1, 0));
  const R = 4 * Math.ceil(Math.max(d - 2, 0) / 4);
  const V = new Float64Array(R * d);
  const tau = new Float64Array(R);
  const w = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    diagonal[k] = A[k * d + k];
    if (k + 1 === d) break;
    const lo = k + 1;
    const x0 = A[lo * d + k];
    let tail = 0;
    for (let r = lo + 1; r < d; r++) tail += A[r * d + k] ** 2;
    if (tail === 0) {
      offDiagonal[k] = x0;
      continue;
    }
    // v = x − α e₁ with |α| = ‖x‖ (sign against cancellation): (I − τ v vᵀ) x = α e₁, τ = 2 / vᵀv.
    const alpha = x0 > 0 ? -Math.sqrt(x0 * x0 + tail) : Math.sqrt(x0 * x0 + tail);
    const t = 2 / (tail + (x0 - alpha) ** 2);
    tau[k] = t;
    offDiagonal[k] = alpha;
    const v = V.subarray(k * d, (k + 1) * d);
    v[lo] = x0 - alpha;
    for (let r = lo + 1; r < d; r++) v[r] = A[r * d + k];
    // w = τ A₂₂ v (symmetric product from the lower triangle, rows two at a time), then
    // w −= (τ/2)(wᵀv) v.
    w.fill(0, lo, d);
    let r = lo;
    for (; r + 1 < d; r += 2) {
      const row0 = r * d;
      const row1 = row0 + d;
      const v0 = v[r];
      const v1 = v[r + 1];
      let s0 = 0;
      let s1 = 0;
      for (let c = lo; c < r; c++) {
        const a0 = A[row0 + c];
        const a1 = A[row1 + c];
        const vc = v[c];
        s0 += a0 * vc;
        s1 += a1 * vc;
        w[c] += a0 * v0 + a1 * v1;
      }
      const a10 = A[row1 + r];
      w[r] += s0 + A[row0 + r] * v0 + a10 * v1;
      w[r + 1] += s1 + a10 * v0 + A[row1 + r + 1] * v1;
    }
    if (r < d) {
      const row = r * d;
      const vr = v[r];
      let s0 = 0;
      for (let c = lo; c < r; c++) {
        s0 += A[row + c] * v[c];
        w[c] += A[row + c] * vr;
      }
      w[r] += s0 + A[row + r] * vr;
    }
    let wv = 0;
    for (let i = lo; i < d; i++) {
      w[i] *= t;
      wv += w[i] * v[i];
    }
    for (let i = lo; i < d; i++) w[i] -= 0.5 * t * wv * v[i];
    // A₂₂ ← H A₂₂ H = A₂₂ − v wᵀ − w vᵀ (rows two at a time)
    for (r = lo; r + 1 < d; r += 2) {
      const row0 = r * d;
      const row1 = row0 + d;
      const v0 = v[r];
      const w0 = w[r];
      const v1 = v[r + 1];
      const w1 = w[r + 1];
      for (let c = lo; c <= r; c++) {
        const vc = v[c];
        const wc = w[c];
        A[row0 + c] -= v0 * wc + w0 * vc;
        A[row1 + c] -= v1 * wc + w1 * vc;
      }
      A[row1 + r + 1] -= v1 * w1 + w1 * v1;
    }
    if (r < d) {
      const row = r * d;
      for (let c = lo; c <= r; c++) A[row + c] -= v[r] * w[c] + w[r] * v[c];
    }
  }
  return { diagonal, offDiagonal, V, tau };
}

/**
 * Every row x of X [n, d] ← Qᵀ x (`transpose`) or Q x, in place. Reflectors go four at a time and
 * rows two at a time (each reflector entry read serves both): with s_j = τ_j v_j · (x after the
 * block's earlier reflectors) = τ_j (v_j · x − Σ_i (v_j · v_i) s_i), a block is one pass of dot
 * products and one update x −= Σ_j s_j v_j. An odd last row pairs with itself, its twin's update zero.
 */
export function rotate(tri: Tridiagonal, X: Float64Array, n: number, transpose: boolean): void {
  const { V, tau } = tri;
  const d = tri.diagonal.length;
  const blocks = tau.length / 4;
  // [block][6]: v_0·v_1, v_0·v_2, v_0·v_3, v_1·v_2, v_1·v_3, v_2·v_3
  const dots = new Float64Array(blocks * 6);
  for (let b = 0; b < blocks; b++) {
    const o = 4 * b * d;
    let q = 6 * b;
    for (let i = 0; i < 4; i++)
      for (let j = i + 1; j < 4; j++) {
        let s = 0;
        for (let r = 0; r < d; r++) s += V[o + i * d + r] * V[o + j * d + r];
        dots[q++] = s;
      }
  }
  const s = new Float64Array(4);
  const t = new Float64Array(4);
  for (let x = 0; x < n; x += 2) {
    const o0 = x * d;
    const twin = x + 1 < n;
    const o1 = twin ? o0 + d : o0;
    for (let step = 0; step < blocks; step++) {
      const b = transpose ? step : blocks - 1 - step;
      const k = 4 * b;
      const p0 = k * d;
      const p1 = p0 + d;
      const p2 = p1 + d;
      const p3 = p2 + d;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      for (let r = k + 1; r < d; r++) {
        const xr = X[o0 + r];
        const yr = X[o1 + r];
        const v0 = V[p0 + r];
        const v1 = V[p1 + r];
        const v2 = V[p2 + r];
        const v3 = V[p3 + r];
        a0 += v0 * xr;
        a1 += v1 * xr;
        a2 += v2 * xr;
        a3 += v3 * xr;
        c0 += v0 * yr;
        c1 += v1 * yr;
        c2 += v2 * yr;
        c3 += v3 * yr;
      }
      blockCoefficients(tau, k, dots, 6 * b, transpose, a0, a1, a2, a3, s);
      blockCoefficients(tau, k, dots, 6 * b, transpose, c0, c1, c2, c3, t);
      const s0 = s[0];
      const s1 = s[1];
      const s2 = s[2];
      const s3 = s[3];
      const keep = twin ? 1 : 0;
      const t0 = keep * t[0];
      const t1 = keep * t[1];
      const t2 = keep * t[2];
      const t3 = keep * t[3];
      for (let r = k + 1; r < d; r++) {
        const v0 = V[p0 + r];
        const v1 = V[p1 + r];
        const v2 = V[p2 + r];
        const v3 = V[p3 + r];
        X[o0 + r] -= v0 * s0 + v1 * s1 + v2 * s2 + v3 * s3;
        X[o1 + r] -= v0 * t0 + v1 * t1 + v2 * t2 + v3 * t3;
      }
    }
  }
}

/**
 * The update coefficients s [4] of reflectors k..k+3 on a row with raw dot products a_j = v_j · x, in
 * the order they apply (ascending for Qᵀ, descending for Q); the block's `dots` from q on, as in
 * `rotate`.
 */
function blockCoefficients(
  tau: Float64Array,
  k: number,
  dots: Float64Array,
  q: number,
  transpose: boolean,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
  s: Float64Array,
): void {
  if (transpose) {
    s[0] = tau[k] * a0;
    s[1] = tau[k + 1] * (a1 - dots[q + 0] * s[0]);
    s[2] = tau[k + 2] * (a2 - dots[q + 1] * s[0] - dots[q + 3] * s[1]);
    s[3] = tau[k + 3] * (a3 - dots[q + 2] * s[0] - dots[q + 4] * s[1] - dots[q + 5] * s[2]);
  } else {
    s[3] = tau[k + 3] * a3;
    s[2] = tau[k + 2] * (a2 - dots[q + 5] * s[3]);
    s[1] = tau[k + 1] * (a1 - dots[q + 3] * s[2] - dots[q + 4] * s[3]);
    s[0] = tau[k] * (a0 - dots[q + 0] * s[1] - dots[q + 1] * s[2] - dots[q + 2] * s[3]);
  }
}

/**
 * Rows o..o+C of Y [n, d] = (β T + ρ I)⁻¹ (rows o..o+C of B [n, d]), T the tridiagonal form (LDLᵀ
 * without pivoting: β T + ρ I is positive definite for β ≥ 0, ρ > 0, G positive semidefinite).
 */
function tridiagonalSolve(
  tri: Tridiagonal,
  beta: number,
  ridge: number,
  B: Float64Array,
  Y: Float64Array,
  o: number,
  C: number,
): void {
  const { diagonal, offDiagonal } = tri;
  const d = diagonal.length;
  const D = new Float64Array(d);
  const l = new Float64Array(d);
  D[0] = beta * diagonal[0] + ridge;
  for (let i = 1; i < d; i++) {
    const e = beta * offDiagonal[i - 1];
    l[i] = e / D[i - 1];
    D[i] = beta * diagonal[i] + ridge - l[i] * e;
  }
  for (let c = o; c < o + C; c++) {
    const row = c * d;
    Y[row] = B[row];
    for (let i = 1; i < d; i++) Y[row + i] = B[row + i] - l[i] * Y[row + i - 1];
    Y[row + d - 1] /= D[d - 1];
    for (let i = d - 2; i >= 0; i--) Y[row + i] = Y[row + i] / D[i] - l[i + 1] * Y[row + i + 1];
  }
}

/** Inverse of a small non-singular E [C, C] (Gauss–Jordan with partial pivoting). */
function invert(E: Float64Array, C: number): Float64Array {
  const A = E.slice();
  const inv = Float64Array.from({ length: C * C }, (_, i) => (Math.floor(i / C) === i % C ? 1 : 0));
  for (let col = 0; col < C; col++) {
    let pivot = col;
    for (let r = col + 1; r < C; r++) if (Math.abs(A[r * C + col]) > Math.abs(A[pivot * C + col])) pivot = r;
    for (const M of [A, inv])
      for (let j = 0; j < C; j++) [M[col * C + j], M[pivot * C + j]] = [M[pivot * C + j], M[col * C + j]];
    const p = A[col * C + col];
    for (let j = 0; j < C; j++) {
      A[col * C + j] /= p;
      inv[col * C + j] /= p;
    }
    for (let r = 0; r < C; r++) {
      const f = A[r * C + col];
      if (r === col || f === 0) continue;
      for (let j = 0; j < C; j++) {
        A[r * C + j] -= f * A[col * C + j];
        inv[r * C + j] -= f * inv[col * C + j];
      }
    }
  }
  return inv;
}
