import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import type { Gemm } from '../../../src/tensor/gemm.ts';
import { createAutoGemm } from '../../../src/tensor/autoGemm.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { nodeGemm } from '../../../src/node/gemm.ts';
import { describeGemmBackend } from './gemmSuite.ts';

/** A TsGemm that records the MAC count of every call it serves. */
function recording(name: string): Gemm & { calls: number[] } {
  const inner = new TsGemm();
  const calls: number[] = [];
  return {
    name,
    macsPerMicrosecond: inner.macsPerMicrosecond,
    calls,
    matmul: (a, b, m, k, n, opts) => (calls.push(m * k * n), inner.matmul(a, b, m, k, n, opts)),
    bmm: (a, b, batch, m, k, n, opts) => (
      calls.push(batch * m * k * n),
      inner.bmm(a, b, batch, m, k, n, opts)
    ),
  };
}

describe('createAutoGemm', () => {
  it('routes products below minMacs to the small backend and the rest to the large one', () => {
    const small = recording('small');
    const large = recording('large');
    const auto = createAutoGemm(small, large, 1000);
    const x = new Float32Array(4096).fill(1);
    auto.matmul(x, x, 9, 10, 11); // 990
    auto.matmul(x, x, 10, 10, 10); // 1000
    auto.bmm(x, x, 2, 5, 10, 10); // 1000 in total
    auto.bmm(x, x, 3, 3, 10, 11, { broadcastB: true }); // 990
    expect(small.calls).toEqual([990, 990]);
    expect(large.calls).toEqual([1000, 1000]);
    expect(auto.matmul(x, x, 2, 3, 2)).toEqual(new Float32Array([3, 3, 3, 3]));
  });

  it('rejects a negative or NaN threshold', () => {
    expect(() => createAutoGemm(new TsGemm(), new TsGemm(), -1)).toThrow(DtlensError);
    expect(() => createAutoGemm(new TsGemm(), new TsGemm(), Number.NaN)).toThrow(DtlensError);
  });
});

describe('nodeGemm', () => {
  it('returns the named backend, one shared instance per kind', () => {
    expect(nodeGemm('ts').name).toBe('ts');
    expect(nodeGemm('ort').name).toBe('ort');
    expect(nodeGemm('wasm').name).toBe('wasm');
    expect(nodeGemm('auto').name).toMatch(/^auto\(wasm < \d+ MACs <= ort\)$/);
    expect(nodeGemm('ort')).toBe(nodeGemm('ort'));
  });

  it('rejects an unknown backend name with BAD_INPUT', () => {
    expect(() => nodeGemm('blas' as never)).toThrow(/unknown gemm backend 'blas'/);
  });
});

// The auto backend mixes wasm and ORT across the suite's sizes; hold it to the wasm (float32 sums) tolerance.
describeGemmBackend('nodeGemm(auto)', () => nodeGemm('auto'), { exact: false, relTol: 5e-5 });
