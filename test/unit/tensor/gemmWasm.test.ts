import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { WasmGemm, isWasmGemmSupported } from '../../../src/tensor/wasmGemm.ts';
import { describeGemmBackend, expectProduct, naiveMatmul, randomMatrix } from './gemmSuite.ts';

// WasmGemm sums in float32 (multiply, then add, ascending k): for k = 512 terms in [-1, 1) the rounding
// error grows like sqrt(k)·2^-24 times the partial sums, about 1e-5 of the row scale (worst seen 1.2e-5).
const TOL = { exact: false, relTol: 5e-5 };

describeGemmBackend('WasmGemm', () => new WasmGemm(), TOL);

describe('WasmGemm memory', () => {
  const product = (gemm: WasmGemm, m: number, k: number, n: number, seed: number): void => {
    const a = randomMatrix(m * k, seed);
    const b = randomMatrix(k * n, seed + 1);
    expectProduct(
      gemm.matmul(a, b, m, k, n, { transB: seed % 2 === 0 }),
      naiveMatmul(a, b, m, k, n, false, seed % 2 === 0),
      TOL,
    );
  };

  it('is supported by this Node (WebAssembly SIMD)', () => {
    expect(isWasmGemmSupported()).toBe(true);
  });

  it('grows its memory for a large product between small ones and stays correct at every size', () => {
    const gemm = new WasmGemm();
    product(gemm, 3, 5, 7, 1);
    // About 3 MB of operands and panels (several memory pages more), B plain then transposed; with
    // this many rows B is packed either way, while the small products read untransposed B in place.
    product(gemm, 700, 300, 520, 3);
    product(gemm, 700, 300, 520, 4);
    product(gemm, 1, 1, 1, 2);
    product(gemm, 26, 128, 384, 4);
    product(gemm, 9, 2, 13, 5);
  });

  it('gives identical results on repeated calls and across instances (each has its own memory)', () => {
    const [first, second] = [new WasmGemm(), new WasmGemm()];
    const a = randomMatrix(26 * 128, 11);
    const b = randomMatrix(128 * 384, 12);
    const want = first.matmul(a, b, 26, 128, 384);
    const out = new Float32Array(want.length);
    for (let i = 0; i < 20; i++) {
      expect(first.matmul(a, b, 26, 128, 384, { out })).toEqual(want);
      first.matmul(randomMatrix(5 * 33, i), randomMatrix(33 * 3, i + 1), 5, 33, 3); // clobbers its scratch
    }
    expect(second.matmul(a, b, 26, 128, 384)).toEqual(want);
  });

  it('allows out to alias an operand, since operands are copied before the product is written', () => {
    const gemm = new WasmGemm();
    const a = randomMatrix(6 * 6, 21);
    const b = randomMatrix(6 * 6, 22);
    const want = naiveMatmul(a, b, 6, 6, 6);
    expectProduct(gemm.matmul(a, b, 6, 6, 6, { out: a }), want, TOL);
  });

  it('throws BAD_INPUT for a product beyond its memory cap, and keeps working afterwards', () => {
    const gemm = new WasmGemm({ maxBytes: 1 << 20 });
    const big = randomMatrix(512 * 512, 31);
    let caught: unknown;
    try {
      gemm.matmul(big, big, 512, 512, 512);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DtlensError);
    expect((caught as DtlensError).code).toBe('BAD_INPUT');
    product(gemm, 17, 33, 5, 32);
    expect(() => new WasmGemm({ maxBytes: Number.NaN })).toThrow(/maxBytes must be a positive number/);
  });
});
