import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import {
  ACTIVATIONS,
  activate,
  applyLayerNorm,
  erf,
  layerNormStats,
  softmaxLastDim,
} from '../../../src/tensor/ops.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';

describe('Tensor', () => {
  it('indexes row-major and reshapes as a view', () => {
    const t = Tensor.from([0, 1, 2, 3, 4, 5], [2, 3]);
    expect(t.get(1, 2)).toBe(5);
    const r = t.reshape([3, -1]);
    expect(r.shape).toEqual([3, 2]);
    r.data[0] = 9;
    expect(t.get(0, 0)).toBe(9);
    expect(t.at(1).toNested()).toEqual([3, 4, 5]);
  });

  it('rejects data that does not fit the shape', () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(DtlensError);
    expect(() => new Tensor(new Float32Array(0), [-1])).toThrow(/invalid tensor shape/);
  });
});

describe('ops (hand-computed values)', () => {
  it('LayerNormPre: x = [1, 2, 3, 4] -> mean 2.5, scale sqrt(1.25 + 1e-5)', () => {
    const x = Tensor.from([1, 2, 3, 4], [1, 4]);
    const { mean, scale } = layerNormStats(x);
    const normalized = applyLayerNorm(x, mean, scale);
    expect(mean[0]).toBe(2.5);
    const s = Math.sqrt(1.25 + 1e-5);
    expect(scale.shape).toEqual([1, 1]);
    expect(scale.data[0]).toBeCloseTo(s, 6);
    expect(Array.from(normalized.data)).toEqual(
      [-1.5, -0.5, 0.5, 1.5].map((v) => Math.fround(v / Math.fround(s))),
    );
  });

  it('layer norm with affine weights, and softmax', () => {
    const x = Tensor.from([1, -1], [1, 2]);
    expect(
      Array.from(
        applyLayerNorm(x, Float64Array.of(0), Tensor.from([1], [1, 1]), {
          w: Float32Array.of(2, 3),
          b: Float32Array.of(0.5, 0),
        }).data,
      ),
    ).toEqual([2.5, -3]);
    const sm = softmaxLastDim(Tensor.from([0, Math.log(3)], [1, 2]));
    expect(sm.data[0]).toBeCloseTo(0.25, 7);
    expect(sm.data[1]).toBeCloseTo(0.75, 7);
    // Masked scores of -1e5 get exactly zero weight, as in TransformerLens.
    expect(softmaxLastDim(Tensor.from([1, -100000], [1, 2])).data[1]).toBe(0);
  });

  it('erf matches reference values to 1e-7', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-1.5, -0.9661051464753108],
      [3, 0.9999779095030014],
    ];
    for (const [x, v] of table) expect(Math.abs(erf(x) - v)).toBeLessThan(1e-7);
  });

  it('activations match their definitions at x = 1 and x = -2', () => {
    expect(ACTIVATIONS.relu(-2)).toBe(0);
    expect(ACTIVATIONS.gelu(1)).toBeCloseTo(0.8413447460685429, 7); // x * Phi(x)
    expect(ACTIVATIONS.silu(1)).toBeCloseTo(0.7310585786300049, 7);
    expect(ACTIVATIONS.gelu_new(1)).toBeCloseTo(0.8411919906082768, 7);
    expect(ACTIVATIONS.gelu_fast(-2)).toBeCloseTo(-0.04540230591222, 6);
    const solu = activate(Tensor.from([0, Math.log(3)], [1, 2]), 'solu_ln');
    expect(solu.data[1]).toBeCloseTo(Math.log(3) * 0.75, 6);
  });
});
