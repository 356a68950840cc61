/**
 * The conformance suite must fail a broken backend: a real TsGemm wrapped so that its products come back
 * all NaN, with one NaN, with one element off by 1e-4 relative, or one element short. Each product check
 * of `GEMM_CHECKS` has to throw for each breakage, in exact and in tolerance mode.
 */
import { describe, expect, it } from 'vitest';
import type { Gemm } from '../../../src/tensor/gemm.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { GEMM_CHECKS, type SuiteOptions } from './gemmSuite.ts';

/** TsGemm whose every non-empty result is passed through `corrupt` (in place, `out` included). */
function brokenGemm(corrupt: (c: Float32Array) => Float32Array): Gemm {
  const ts = new TsGemm();
  return {
    name: 'broken',
    macsPerMicrosecond: ts.macsPerMicrosecond,
    matmul: (a, b, m, k, n, opts) => {
      const c = ts.matmul(a, b, m, k, n, opts);
      return m * n > 0 ? corrupt(c.subarray(0, m * n)) : c;
    },
    bmm: (a, b, batch, m, k, n, opts) => {
      const c = ts.bmm(a, b, batch, m, k, n, opts);
      return batch * m * n > 0 ? corrupt(c.subarray(0, batch * m * n)) : c;
    },
  };
}

/** Breakage, corruption, expected failure, whether it shows in `out` (not only in the returned array). */
const BREAKAGES: [string, (c: Float32Array) => Float32Array, RegExp, boolean][] = [
  ['returns all NaN', (c) => c.fill(NaN), /actual NaN/, true],
  ['returns one NaN', (c) => ((c[c.length >> 1] = NaN), c), /actual NaN/, true],
  [
    'returns one element 1e-4 off',
    (c) => ((c[c.length - 1] += 1e-4 * Math.max(1, Math.abs(c[c.length - 1]))), c),
    /worst error/,
    true,
  ],
  ['returns one element too few', (c) => c.slice(0, -1), /length mismatch|to be \d+/, false],
];

/** The checks that compare products with the naive float64 loop through the strict helper. */
const PRODUCT_CHECKS = GEMM_CHECKS.filter(([name]) => /naive|accumulates into out for every/.test(name));

const MODES: [string, SuiteOptions][] = [
  ['exact', { exact: true }],
  ['relTol 5e-5', { exact: false, relTol: 5e-5 }],
];

describe('the GEMM conformance suite rejects a broken backend', () => {
  it('selects the four product checks, which a correct TsGemm passes', () => {
    expect(PRODUCT_CHECKS.map(([name]) => name)).toEqual([
      'matches the naive float64 product for odd sizes and every transpose combination',
      'matches the naive product on model-sized shapes that span several column blocks',
      'bmm matches per-item naive products, with and without broadcastB, every transpose',
      'bmm accumulates into out for every batch item',
    ]);
    for (const [, check] of PRODUCT_CHECKS) for (const [, opts] of MODES) check(new TsGemm(), opts);
  });

  for (const [breakage, corrupt, message, inOut] of BREAKAGES)
    for (const [mode, opts] of MODES)
      it(`fails every product check when the backend ${breakage} (${mode})`, () => {
        const gemm = brokenGemm(corrupt);
        // the bmm accumulation check reads `out`, which a short returned array leaves correct
        const checks = inOut ? PRODUCT_CHECKS : PRODUCT_CHECKS.slice(0, 3);
        for (const [name, check] of checks) expect(() => check(gemm, opts), name).toThrow(message);
      });
});
