/**
 * Conformance suite run against every `Gemm` backend: hand-computed products, a naive float64 triple
 * loop on odd shapes with every transpose combination, `out`/`accumulate`, batched products, and the
 * argument checks.
 */
import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import type { Gemm } from '../../../src/tensor/gemm.ts';
import { expectClose } from '../../support/compare.ts';

/** Deterministic uniform values in [-1, 1) (mulberry32). */
export function randomMatrix(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** op(A)[m,k] · op(B)[k,n] by the textbook triple loop in float64 (p ascending), plus `init`. */
export function naiveMatmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false,
  init?: Float32Array,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = init ? init[i * n + j] + s : s;
    }
  }
  return c;
}

/** Stores A[rows, cols] transposed, as [cols, rows]. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/**
 * `exact`: the backend accumulates in float64 in ascending k and rounds once, so its results equal the
 * float32 rounding of the naive float64 sum. Otherwise results are compared to `relTol` of the row scale.
 */
export interface SuiteOptions {
  exact: boolean;
  relTol?: number;
}

/**
 * A GEMM result against the float64 naive product, through the shared strict comparison: `exact`
 * compares with the float32 rounding of every expected value (tol 0), otherwise each element's error is
 * |a - e| / max(scale, |e|) <= relTol (default 1e-5).
 */
export function expectProduct(
  actual: Float32Array,
  expected: Float64Array,
  opts: SuiteOptions,
  scale = 1,
): void {
  if (opts.exact) expectClose(actual, Float32Array.from(expected), 0, { metric: 'abs' });
  else expectClose(actual, expected, opts.relTol ?? 1e-5, { metric: { scale } });
}

const SIZES = [1, 3, 5, 17, 33];
const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

// A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]; A·B = [[58,64],[139,154]] by hand.
const handA = new Float32Array([1, 2, 3, 4, 5, 6]);
const handB = new Float32Array([7, 8, 9, 10, 11, 12]);
const handAT = new Float32Array([1, 4, 2, 5, 3, 6]);
const handBT = new Float32Array([7, 9, 11, 8, 10, 12]);
const handC = [58, 64, 139, 154];

/** The conformance checks, as plain functions so that a test can also run them on a broken backend. */
export const GEMM_CHECKS: [name: string, check: (gemm: Gemm, opts: SuiteOptions) => void][] = [
  [
    'multiplies a hand-computed 2x3 @ 3x2 product in every transpose layout',
    (gemm) => {
      expect([...gemm.matmul(handA, handB, 2, 3, 2)]).toEqual(handC);
      expect([...gemm.matmul(handAT, handB, 2, 3, 2, { transA: true })]).toEqual(handC);
      expect([...gemm.matmul(handA, handBT, 2, 3, 2, { transB: true })]).toEqual(handC);
      expect([...gemm.matmul(handAT, handBT, 2, 3, 2, { transA: true, transB: true })]).toEqual(handC);
    },
  ],
  [
    'multiplies a hand-computed 3x2 @ 2x3 product (B·A)',
    (gemm) => {
      // [[7,8],[9,10],[11,12]] · [[1,2,3],[4,5,6]]
      expect([...gemm.matmul(handB, handA, 3, 2, 3)]).toEqual([39, 54, 69, 49, 68, 87, 59, 82, 105]);
    },
  ],
  [
    'computes an outer product (k = 1) and a dot product (m = n = 1)',
    (gemm) => {
      const u = new Float32Array([1, -2, 3]);
      const v = new Float32Array([4, 5]);
      expect([...gemm.matmul(u, v, 3, 1, 2)]).toEqual([4, 5, -8, -10, 12, 15]);
      expect([...gemm.matmul(u, new Float32Array([2, 1, 1]), 1, 3, 1)]).toEqual([3]);
    },
  ],
  [
    'matches the naive float64 product for odd sizes and every transpose combination',
    (gemm, opts) => {
      let seed = 1;
      for (const m of SIZES) {
        for (const k of SIZES) {
          for (const n of SIZES) {
            for (const [transA, transB] of TRANSPOSES) {
              const a = randomMatrix(m * k, seed++);
              const b = randomMatrix(k * n, seed++);
              const got = gemm.matmul(a, b, m, k, n, { transA, transB });
              expect(got.length).toBe(m * n);
              expectProduct(got, naiveMatmul(a, b, m, k, n, transA, transB), opts);
            }
          }
        }
      }
    },
  ],
  [
    'matches the naive product on model-sized shapes that span several column blocks',
    (gemm, opts) => {
      for (const [m, k, n] of [
        [26, 128, 384],
        [26, 512, 130],
        [37, 256, 300],
      ]) {
        for (const [transA, transB] of TRANSPOSES) {
          const a = randomMatrix(m * k, m + k);
          const b = randomMatrix(k * n, n + k);
          expectProduct(
            gemm.matmul(a, b, m, k, n, { transA, transB }),
            naiveMatmul(a, b, m, k, n, transA, transB),
            opts,
          );
        }
      }
    },
  ],
  [
    'writes into out without touching values past m*n, and returns out',
    (gemm) => {
      const out = new Float32Array(4 + 3).fill(99);
      const got = gemm.matmul(handA, handB, 2, 3, 2, { out });
      expect(got).toBe(out);
      expect([...out]).toEqual([...handC, 99, 99, 99]);
    },
  ],
  [
    'accumulates into out (hand-computed and random, all transposes)',
    (gemm, opts) => {
      const out = new Float32Array([1, 2, 3, 4]);
      gemm.matmul(handA, handB, 2, 3, 2, { out, accumulate: true });
      expect([...out]).toEqual([59, 66, 142, 158]);
      let seed = 500;
      for (const [transA, transB] of TRANSPOSES) {
        const [m, k, n] = [17, 5, 33];
        const a = randomMatrix(m * k, seed++);
        const b = randomMatrix(k * n, seed++);
        const init = randomMatrix(m * n, seed++);
        const acc = init.slice();
        gemm.matmul(a, b, m, k, n, { transA, transB, out: acc, accumulate: true });
        expectProduct(acc, naiveMatmul(a, b, m, k, n, transA, transB, init), opts);
      }
    },
  ],
  [
    'reads subarray views at their offset',
    (gemm) => {
      const a = new Float32Array([0, 0, 0, ...handA]).subarray(3);
      const b = new Float32Array([5, ...handB]).subarray(1);
      expect([...gemm.matmul(a, b, 2, 3, 2)]).toEqual(handC);
    },
  ],
  [
    'handles empty dimensions: k = 0 gives zeros (or leaves out unchanged when accumulating)',
    (gemm) => {
      const empty = new Float32Array(0);
      expect([...gemm.matmul(empty, empty, 2, 0, 3)]).toEqual([0, 0, 0, 0, 0, 0]);
      expect([...gemm.matmul(empty, empty, 2, 0, 3, { out: new Float32Array(6).fill(7) })]).toEqual([
        0, 0, 0, 0, 0, 0,
      ]);
      const kept = new Float32Array([1, 2]);
      gemm.matmul(empty, empty, 1, 0, 2, { out: kept, accumulate: true });
      expect([...kept]).toEqual([1, 2]);
      expect(gemm.matmul(empty, handB, 0, 3, 2).length).toBe(0);
      expect(gemm.bmm(empty, empty, 0, 2, 3, 4).length).toBe(0);
    },
  ],
  [
    'bmm matches per-item naive products, with and without broadcastB, every transpose',
    (gemm, opts) => {
      let seed = 900;
      for (const [batch, m, k, n] of [
        [1, 3, 5, 17],
        [4, 5, 17, 3],
        [3, 26, 32, 26],
      ]) {
        for (const [transA, transB] of TRANSPOSES) {
          for (const broadcastB of [false, true]) {
            const a = randomMatrix(batch * m * k, seed++);
            const b = randomMatrix((broadcastB ? 1 : batch) * k * n, seed++);
            const got = gemm.bmm(a, b, batch, m, k, n, { transA, transB, broadcastB });
            expect(got.length).toBe(batch * m * n);
            for (let i = 0; i < batch; i++) {
              const ai = a.subarray(i * m * k, (i + 1) * m * k);
              const bi = broadcastB ? b : b.subarray(i * k * n, (i + 1) * k * n);
              expectProduct(
                got.subarray(i * m * n, (i + 1) * m * n),
                naiveMatmul(ai, bi, m, k, n, transA, transB),
                opts,
              );
            }
          }
        }
      }
    },
  ],
  [
    'bmm accumulates into out for every batch item',
    (gemm, opts) => {
      const [batch, m, k, n] = [3, 5, 17, 3];
      const a = randomMatrix(batch * m * k, 71);
      const b = randomMatrix(k * n, 72);
      const init = randomMatrix(batch * m * n, 73);
      const out = init.slice();
      gemm.bmm(a, b, batch, m, k, n, { broadcastB: true, out, accumulate: true });
      for (let i = 0; i < batch; i++) {
        const expected = naiveMatmul(
          a.subarray(i * m * k),
          b,
          m,
          k,
          n,
          false,
          false,
          init.subarray(i * m * n),
        );
        expectProduct(out.subarray(i * m * n, (i + 1) * m * n), expected, opts);
      }
    },
  ],
  [
    'rejects bad shapes and options with DtlensError',
    (gemm) => {
      const bad: Array<[() => unknown, string]> = [
        [() => gemm.matmul(handA, handB, 2, 3, 3), 'BAD_SHAPE'],
        [() => gemm.matmul(handA, handB, 3, 3, 2), 'BAD_SHAPE'],
        [() => gemm.matmul(handA, handB, -1, 3, 2), 'BAD_SHAPE'],
        [() => gemm.matmul(handA, handB, 2.5, 3, 2), 'BAD_SHAPE'],
        [() => gemm.matmul(handA, handB, Number.NaN, 3, 2), 'BAD_SHAPE'],
        [() => gemm.matmul(handA, handB, 2, 3, 2, { out: new Float32Array(3) }), 'BAD_SHAPE'],
        [() => gemm.matmul(handA, handB, 2, 3, 2, { accumulate: true }), 'BAD_INPUT'],
        [() => gemm.matmul([1, 2] as unknown as Float32Array, handB, 1, 2, 1), 'BAD_INPUT'],
        [() => gemm.bmm(handA, handB, 2, 2, 3, 2), 'BAD_SHAPE'],
        [() => gemm.bmm(handA, handB, 2, 1, 3, 2), 'BAD_SHAPE'],
      ];
      for (const [call, code] of bad) {
        let caught: unknown;
        try {
          call();
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(DtlensError);
        expect((caught as DtlensError).code).toBe(code);
      }
      expect(gemm.bmm(handA, handB, 1, 2, 3, 2, { broadcastB: true }).length).toBe(4);
    },
  ],
];

export function describeGemmBackend(label: string, makeGemm: () => Gemm, opts: SuiteOptions): void {
  describe(`${label} conformance`, () => {
    const gemm = makeGemm();
    for (const [name, check] of GEMM_CHECKS) it(name, () => check(gemm, opts));
  });
}
