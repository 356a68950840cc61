/**
 * Closed-form LDA probes: statistics match a direct computation, the classifier is the Bayes rule of
 * known Gaussians, and a probe on a feature subset or a projection equals LDA fitted on those columns.
 */
import { describe, expect, it } from 'vitest';
import {
  classStats,
  cholesky,
  classSums,
  gram,
  labelledGram,
  ldaClassifier,
} from '../../../src/analysis/features/lda.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { seededRandom } from '../../support/randomModel.ts';

const gemm = new TsGemm();

/** LDA statistics of label y over every row of Z [N, d]. */
function statsOf(Z: Float32Array, d: number, y: Int32Array, classes: number) {
  const rows = Int32Array.from(y.keys());
  const G = labelledGram(gemm, Z, d, rows, y, gram(gemm, Z, d, rows));
  return classStats(d, G, classSums(gemm, Z, d, rows, [{ y, classes }])[0]);
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
        expect(stats.within[i * d + j]).toBeCloseTo(s / (labelled.length - 3), 2);
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

describe('Cholesky factor', () => {
  /** The textbook one-row-at-a-time Cholesky–Banachiewicz factor (the reference). */
  function reference(S: Float64Array, m: number): Float64Array {
    const L = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j <= i; j++) {
        let s = S[i * m + j];
        for (let k = 0; k < j; k++) s -= L[i * m + k] * L[j * m + k];
        L[i * m + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * m + j];
      }
    return L;
  }

  it('equals the one-row-at-a-time factor bit for bit (even and odd sizes)', () => {
    const rand = seededRandom(9);
    for (const m of [1, 2, 7, 16, 33]) {
      const A = Float64Array.from({ length: m * m }, () => rand() - 0.5);
      const S = new Float64Array(m * m);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++) {
          let s = i === j ? 0.1 : 0;
          for (let k = 0; k < m; k++) s += A[i * m + k] * A[j * m + k];
          S[i * m + j] = s;
        }
      expect(Array.from(cholesky(S, m))).toEqual(Array.from(reference(S, m)));
    }
  });
});
