/**
 * Logistic probes (`logistic.ts`) against the conditions that define their optimum: at the fitted
 * weights the penalised score equations hold (Σ_i (p_ic − y_ic) x_i / n + λ W_c = 0 and Σ_i (p_ic − y_ic)
 * = 0, computed here in float64 apart from the fit), from any start; unlabelled rows are left out.
 */
import { describe, expect, it } from 'vitest';
import { logisticClassifier } from '../../../src/analysis/features/logistic.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';

const gemm = new TsGemm();

/** Rows with 3 overlapping classes along two directions, and some unlabelled rows. */
function data(n: number, d: number) {
  let s = 7;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const Z = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < d; j++) Z[i * d + j] = rand() * 2 - 1 + (j === y[i] ? 0.8 : 0);
    if (i % 11 === 0) y[i] = -1;
  }
  return { Z, y };
}

/** The max-norm of the penalised objective's gradient at (W, b), in float64. */
function gradientNorm(
  Z: Float32Array,
  y: Int32Array,
  d: number,
  C: number,
  l2: number,
  W: Float64Array,
  b: Float64Array,
) {
  const gW = new Float64Array(d * C);
  const gb = new Float64Array(C);
  let n = 0;
  for (let i = 0; i < y.length; i++) if (y[i] >= 0) n++;
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0) continue;
    const z = Array.from(
      { length: C },
      (_, c) =>
        b[c] + Array.from({ length: d }, (_, j) => Z[i * d + j] * W[j * C + c]).reduce((a, v) => a + v, 0),
    );
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, v) => a + v, 0);
    for (let c = 0; c < C; c++) {
      const r = (e[c] / sum - (c === y[i] ? 1 : 0)) / n;
      gb[c] += r;
      for (let j = 0; j < d; j++) gW[j * C + c] += r * Z[i * d + j];
    }
  }
  for (let j = 0; j < d * C; j++) gW[j] += l2 * W[j];
  return Math.max(...gW.map(Math.abs), ...gb.map(Math.abs));
}

describe('logisticClassifier', () => {
  const d = 5;
  const C = 3;
  const { Z, y } = data(600, d);

  for (const l2 of [0, 0.01])
    it(`reaches the penalised optimum (l2 ${l2}) from zero and from another start`, () => {
      const zero = { W: new Float64Array(d * C), b: new Float64Array(C) };
      const other = {
        W: Float64Array.from({ length: d * C }, (_, i) => Math.sin(i)),
        b: Float64Array.of(1, -1, 0),
      };
      const a = logisticClassifier(gemm, Z, d, y, C, zero, { l2, iterations: 200, tolerance: 1e-7 });
      const b = logisticClassifier(gemm, Z, d, y, C, other, { l2, iterations: 200, tolerance: 1e-7 });
      expect(gradientNorm(Z, y, d, C, l2, a.W, a.b)).toBeLessThan(1e-5);
      expect(gradientNorm(Z, y, d, C, l2, b.W, b.b)).toBeLessThan(1e-5);
      // The class that a row's own direction marks wins: a real fit, not the start.
      expect(a.W[0 * C + 0]).toBeGreaterThan(a.W[0 * C + 1]);
      expect(a.W[1 * C + 1]).toBeGreaterThan(a.W[1 * C + 0]);
    });

  it('rejects a start of the wrong shape, a negative penalty and no labelled rows', () => {
    const start = { W: new Float64Array(d * C), b: new Float64Array(C) };
    expect(() => logisticClassifier(gemm, Z, d, y, C, { W: new Float64Array(2), b: start.b })).toThrow(
      /wrong shape/,
    );
    expect(() => logisticClassifier(gemm, Z, d, y, C, start, { l2: -1 })).toThrow(/L2 penalty/);
    expect(() =>
      logisticClassifier(
        gemm,
        Z,
        d,
        y.map(() => -1),
        C,
        start,
      ),
    ).toThrow(/at least one labelled/);
  });
});
