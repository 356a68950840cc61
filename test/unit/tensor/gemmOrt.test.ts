import { afterAll, describe, expect, it } from 'vitest';
import { OrtGemm } from '../../../src/node/ortGemm.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { describeGemmBackend, expectProduct, randomMatrix } from './gemmSuite.ts';

const backends: OrtGemm[] = [];
const makeOrt = (): OrtGemm => {
  const gemm = new OrtGemm();
  backends.push(gemm);
  return gemm;
};
afterAll(() => backends.forEach((g) => g.dispose()));

describeGemmBackend('OrtGemm', makeOrt, { exact: false, relTol: 1e-5 });

describe('OrtGemm against TsGemm', () => {
  const ts = new TsGemm();

  it('agrees to 1e-5 relative on random model-sized matmuls, every transpose', () => {
    const ort = makeOrt();
    let seed = 3000;
    for (const [m, k, n] of [
      [26, 128, 384],
      [26, 256, 128],
      [640, 128, 512],
      [333, 77, 45],
    ]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = randomMatrix(m * k, seed++);
          const b = randomMatrix(k * n, seed++);
          const want = Float64Array.from(ts.matmul(a, b, m, k, n, { transA, transB }));
          expectProduct(ort.matmul(a, b, m, k, n, { transA, transB }), want, { exact: false, relTol: 1e-5 });
        }
      }
    }
  });

  it('agrees on attention-style batched products ([b*h, t, d] @ [b*h, d, t], pattern @ v)', () => {
    const ort = makeOrt();
    const [bh, t, d] = [32, 26, 32];
    const q = randomMatrix(bh * t * d, 41);
    const kk = randomMatrix(bh * t * d, 42);
    const scores = ts.bmm(q, kk, bh, t, d, t, { transB: true });
    expectProduct(ort.bmm(q, kk, bh, t, d, t, { transB: true }), Float64Array.from(scores), {
      exact: false,
      relTol: 1e-5,
    });
    const z = ts.bmm(scores, kk, bh, t, t, d);
    expectProduct(ort.bmm(scores, kk, bh, t, t, d), Float64Array.from(z), { exact: false, relTol: 1e-5 }, 10);
  });

  it('accepts its thread and spinning options (1 spinning thread gives the same product)', () => {
    const ort = new OrtGemm({ threads: 1, spinning: true });
    backends.push(ort);
    const a = randomMatrix(33 * 17, 5);
    const b = randomMatrix(17 * 5, 6);
    expectProduct(ort.matmul(a, b, 33, 17, 5), Float64Array.from(ts.matmul(a, b, 33, 17, 5)), {
      exact: false,
      relTol: 1e-5,
    });
  });

  it('returns results synchronously and keeps working after many calls on cached sessions', () => {
    const ort = makeOrt();
    const a = randomMatrix(26 * 128, 7);
    const b = randomMatrix(128 * 384, 8);
    const first = ort.matmul(a, b, 26, 128, 384);
    expect(first).toBeInstanceOf(Float32Array);
    for (let i = 0; i < 50; i++) {
      const again = ort.matmul(a, b, 26, 128, 384);
      expect(again.every((v, j) => v === first[j])).toBe(true);
    }
  });
});
