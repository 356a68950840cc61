/**
 * Closed-form LDA probes: statistics match a direct computation, the classifier is the Bayes rule of
 * known Gaussians, a probe on a feature subset or a projection equals LDA fitted on those columns, and
 * the tridiagonal + Woodbury solution equals a dense solve of the shrunk covariance.
 */
import { describe, expect, it } from 'vitest';
import {
  type ClassStats,
  basisGram,
  basisStats,
  classIndicators,
  classStats,
  classSums,
  gather,
  gram,
  ldaClassifier,
  ldaClassifiers,
  rotate,
  rowGram,
  tridiagonalise,
} from '../../../src/analysis/features/lda.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { seededRandom } from '../../support/randomModel.ts';

const gemm = new TsGemm();

/** LDA statistics of label y over every row of Z [N, d] (its Gram matrix over the labelled rows). */
function statsOf(Z: Float32Array, d: number, y: Int32Array, classes: number) {
  const rows = Int32Array.from(y.keys());
  const labelled = rows.filter((r) => y[r] >= 0);
  const sums = classSums(gemm, classIndicators(rows, [{ y, classes }]), Z, d)[0];
  return classStats(rowGram(gram(gemm, gather(Z, d, labelled), d), d), sums);
}

/** Σ_s = (1 − α) Σ + α (tr Σ / d) I of the module comment, formed densely [d, d]. */
function shrunkCovariance(stats: ClassStats, shrinkage: number): Float64Array {
  const { d, G } = stats.gram;
  const C = stats.counts.length;
  const within = G.map((g, i) => {
    let s = g;
    for (let c = 0; c < C; c++)
      s -= stats.counts[c] * stats.means[c * d + Math.floor(i / d)] * stats.means[c * d + (i % d)];
    return s / stats.dof;
  });
  let trace = 0;
  for (let i = 0; i < d; i++) trace += within[i * d + i];
  return within.map(
    (v, i) => (1 - shrinkage) * v + (Math.floor(i / d) === i % d ? (shrinkage * trace) / d : 0),
  );
}

/** x with S x = v (Gaussian elimination with partial pivoting), the dense reference solve. */
function denseSolve(S: Float64Array, d: number, v: ArrayLike<number>): Float64Array {
  const A = Array.from({ length: d }, (_, i) => [...S.subarray(i * d, (i + 1) * d), v[i]]);
  for (let c = 0; c < d; c++) {
    const p = A.reduce((best, row, r) => (r >= c && Math.abs(row[c]) > Math.abs(A[best][c]) ? r : best), c);
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = c + 1; r < d; r++) {
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= d; j++) A[r][j] -= f * A[c][j];
    }
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = A[i][d];
    for (let j = i + 1; j < d; j++) s -= A[i][j] * x[j];
    x[i] = s / A[i][i];
  }
  return x;
}

function gaussians(N: number, d: number, seed: number, means: number[][]) {
  const rand = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const y = Int32Array.from({ length: N }, (_, i) => (i % 7 === 6 ? -1 : i % means.length));
  const Z = Float32Array.from({ length: N * d }, (_, k) => {
    const c = y[Math.floor(k / d)];
    return gauss() + (c >= 0 ? means[c][k % d] : 5);
  });
  return { Z, y, rows: Int32Array.from({ length: N }, (_, i) => i) };
}

describe('LDA probes', () => {
  const d = 4;
  const means = [
    [1, 0, 0, 0],
    [-1, 0.5, 0, 0],
    [0, -1, 0, 0],
  ];
  const { Z, y, rows } = gaussians(21_000, d, 5, means);
  const stats = statsOf(Z, d, y, 3);

  it('class statistics leave out unlabelled rows and match a direct computation', () => {
    const labelled = Array.from(rows).filter((r) => y[r] >= 0);
    expect(stats.n).toBe(labelled.length);
    const mu = means.map((_, c) => {
      const rs = labelled.filter((r) => y[r] === c);
      return Array.from({ length: d }, (_, j) => rs.reduce((a, r) => a + Z[r * d + j], 0) / rs.length);
    });
    mu.forEach((m, c) => m.forEach((v, j) => expect(stats.means[c * d + j]).toBeCloseTo(v, 4)));
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        const s = labelled.reduce(
          (a, r) => a + (Z[r * d + i] - mu[y[r]][i]) * (Z[r * d + j] - mu[y[r]][j]),
          0,
        );
        expect(shrunkCovariance(stats, 0)[i * d + j]).toBeCloseTo(s / (labelled.length - 3), 2);
      }
  });

  it('is the Bayes rule of the generating Gaussians (identity covariance, equal priors)', () => {
    const { W, b } = ldaClassifier(stats, 0);
    // Bayes logits: x·μ_c − |μ_c|²/2 (+ equal log priors): differences between classes match.
    for (let c = 1; c < 3; c++) {
      for (let j = 0; j < d; j++) expect(W[j * 3 + c] - W[j * 3]).toBeCloseTo(means[c][j] - means[0][j], 1);
      const half = (m: number[]) => m.reduce((a, v) => a + v * v, 0) / 2;
      expect(b[c] - b[0]).toBeCloseTo(half(means[0]) - half(means[c]), 1);
    }
  });

  it('a feature subset or a projection equals LDA fitted on those columns', () => {
    const features = [2, 0];
    const R = Float32Array.from([0.3, -1, 0.5, 0.2, 0, 1.5, -0.7, 0.4]); // [d, 2]
    const cols = [
      (r: number) => features.map((j) => Z[r * d + j]),
      (r: number) =>
        [0, 1].map((a) =>
          Array.from({ length: d }, (_, j) => Z[r * d + j] * R[j * 2 + a]).reduce((x, v) => x + v, 0),
        ),
    ];
    const subset = ldaClassifier(stats, 0.1, { features });
    const projected = ldaClassifier(stats, 0.1, { projection: R, k: 2 });
    [subset, projected].forEach((fit, f) => {
      const Zs = Float32Array.from(Array.from(rows).flatMap((r) => cols[f](r)));
      const direct = ldaClassifier(statsOf(Zs, 2, y, 3), 0.1);
      // Same logits on every row.
      for (const r of [0, 1, 2, 100]) {
        const x = Array.from({ length: d }, (_, j) => Z[r * d + j]);
        const xs = cols[f](r);
        for (let c = 0; c < 3; c++) {
          const viaFull = x.reduce((a, v, j) => a + v * fit.W[j * 3 + c], fit.b[c]);
          const viaCols = xs.reduce((a, v, j) => a + v * direct.W[j * 3 + c], direct.b[c]);
          expect(viaFull).toBeCloseTo(viaCols, 3);
        }
      }
    });
  });

  it('rejects a shrinkage outside [0, 1] and a label without rows', () => {
    expect(() => ldaClassifier(stats, 1.5)).toThrow(/shrinkage/);
    expect(() => statsOf(Z, d, new Int32Array(rows.length).fill(-1), 3)).toThrow(/labelled training row/);
  });
});

describe('tridiagonal form and Woodbury solve', () => {
  const rand = seededRandom(9);
  /** A random symmetric positive semidefinite [m, m] (rank min(m, r)) times `scale`. */
  function randomGram(m: number, r: number, scale: number): Float64Array {
    const A = Float64Array.from({ length: m * r }, () => rand() - 0.5);
    return Float64Array.from({ length: m * m }, (_, i) => {
      let s = 0;
      for (let k = 0; k < r; k++) s += A[Math.floor(i / m) * r + k] * A[(i % m) * r + k];
      return s * scale;
    });
  }

  it('G = Q T Qᵀ with Q orthogonal (odd and even sizes, rank-deficient G)', () => {
    for (const [m, r] of [
      [1, 1],
      [2, 2],
      [7, 7],
      [16, 5],
      [33, 40],
    ]) {
      const G = randomGram(m, r, 1);
      const tri = tridiagonalise(G, m);
      // Rows of Qᵀ: Qᵀ e_i for every unit vector; then Qᵀ G Q must be T.
      const Qt = Float64Array.from({ length: m * m }, (_, i) => (Math.floor(i / m) === i % m ? 1 : 0));
      rotate(tri, Qt, m, true); // row i = Qᵀ e_i = column i of Qᵀ
      const QtGQ = (i: number, j: number) => {
        let s = 0;
        for (let a = 0; a < m; a++)
          for (let b = 0; b < m; b++) s += Qt[a * m + i] * G[a * m + b] * Qt[b * m + j];
        return s;
      };
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++) {
          const t = i === j ? tri.diagonal[i] : Math.abs(i - j) === 1 ? tri.offDiagonal[Math.min(i, j)] : 0;
          expect(Math.abs(QtGQ(i, j) - t)).toBeLessThan(1e-12 * m * r);
        }
    }
  });

  it('equals the dense solve of the shrunk covariance to 1e-9 (several labels, one pass)', () => {
    const m = 29;
    const gramOf = rowGram(randomGram(m, 60, 50), m);
    const label = (C: number, empty: number) => {
      const counts = Float64Array.from({ length: C }, (_, c) =>
        c === empty ? 0 : 3 + Math.floor(rand() * 20),
      );
      const sums = Float64Array.from({ length: C * m }, (_, i) => counts[Math.floor(i / m)] * (rand() - 0.5));
      return classStats(gramOf, { counts, sums });
    };
    const stats = [label(2, -1), label(5, 3), label(7, -1), label(1, -1)];
    for (const shrinkage of [0, 0.01, 0.3, 1]) {
      const fits = ldaClassifiers(stats, shrinkage);
      stats.forEach((st, i) => {
        const S = shrunkCovariance(st, shrinkage);
        if (shrinkage === 0) for (let j = 0; j < m; j++) S[j * m + j] += 1e-9; // the ridge floor
        const C = st.counts.length;
        for (let c = 0; c < C; c++) {
          const mu = st.means.subarray(c * m, (c + 1) * m);
          const w = denseSolve(S, m, mu);
          const norm = Math.hypot(...w);
          for (let j = 0; j < m; j++) expect(Math.abs(fits[i].W[j * C + c] - w[j])).toBeLessThan(1e-9 * norm);
          const q = mu.reduce((a, v, j) => a + v * w[j], 0);
          const total = st.counts.reduce((a, v) => a + v, 0);
          const b = -0.5 * q + Math.log((st.counts[c] + 0.5) / (total + 0.5 * C));
          expect(Math.abs(fits[i].b[c] - b)).toBeLessThan(1e-9 * Math.max(1, Math.abs(b)));
        }
      });
    }
  });

  it('a basis shares its Gram matrix across labels: Bᵀ G B and Bᵀ μ_c', () => {
    const m = 6;
    const st = classStats(rowGram(randomGram(m, 6, 2), m), {
      counts: Float64Array.from([4, 5]),
      sums: Float64Array.from({ length: 2 * m }, () => rand()),
    });
    const R = Float32Array.from({ length: m * 2 }, () => rand() - 0.5);
    const basis = { projection: R, k: 2 };
    const onBasis = basisStats(st, basis, basisGram(st.gram, basis));
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) {
        let s = 0;
        for (let i = 0; i < m; i++)
          for (let j = 0; j < m; j++) s += R[i * 2 + a] * st.gram.G[i * m + j] * R[j * 2 + b];
        expect(onBasis.gram.G[a * 2 + b]).toBeCloseTo(s, 10);
      }
      for (let c = 0; c < 2; c++) {
        const s = Array.from({ length: m }, (_, j) => R[j * 2 + a] * st.means[c * m + j]).reduce(
          (x, v) => x + v,
        );
        expect(onBasis.means[c * 2 + a]).toBeCloseTo(s, 10);
      }
    }
  });
});
