/**
 * A `Gemm` that routes each call by problem size: products with fewer than `minMacs`
 * multiply-accumulates (m*k*n, times batch for `bmm`) go to `small` (low per-call overhead),
 * the rest to `large` (high throughput).
 */
import { check } from '../errors.ts';
import type { Gemm } from './gemm.ts';

export function createAutoGemm(small: Gemm, large: Gemm, minMacs: number): Gemm {
  check(
    Number.isFinite(minMacs) && minMacs >= 0,
    'BAD_INPUT',
    `auto gemm: minMacs must be >= 0, got ${minMacs}`,
  );
  const pick = (macs: number): Gemm => (macs >= minMacs ? large : small);
  return {
    name: `auto(${small.name} < ${minMacs} MACs <= ${large.name})`,
    macsPerMicrosecond: large.macsPerMicrosecond,
    matmul: (a, b, m, k, n, opts) => pick(m * k * n).matmul(a, b, m, k, n, opts),
    bmm: (a, b, batch, m, k, n, opts) => pick(batch * m * k * n).bmm(a, b, batch, m, k, n, opts),
  };
}
