/**
 * O(n) tensor operations in plain loops: adds, layer norm, softmax, activations. All return new
 * tensors (the forward pass never mutates a tensor a hook or the cache may hold). Reductions
 * accumulate in float64 and store float32.
 */
import { Tensor } from './tensor.ts';

/** Adds `bias` [n] to every row of `data` viewed as [rows, n], in place. */
export function addRowBiasInPlace(data: Float32Array, bias: Float32Array): void {
  const n = bias.length;
  for (let o = 0; o < data.length; o += n) for (let j = 0; j < n; j++) data[o + j] += bias[j];
}

/**
 * Statistics of TransformerLens LayerNormPre over the last axis: per row the mean and
 * scale = sqrt(mean((x - mean)^2) + eps) ([..., 1], the `hook_scale` activation).
 */
export function layerNormStats(x: Tensor, eps = 1e-5): { mean: Float64Array; scale: Tensor } {
  const d = x.shape[x.rank - 1];
  const rows = x.size / d;
  const mean = new Float64Array(rows);
  const scale = new Float32Array(rows);
  const src = x.data;
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let m = 0;
    for (let j = 0; j < d; j++) m += src[o + j];
    m /= d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const c = src[o + j] - m;
      v += c * c;
    }
    mean[r] = m;
    scale[r] = Math.fround(Math.sqrt(v / d + eps));
  }
  return { mean, scale: new Tensor(scale, [...x.shape.slice(0, -1), 1]) };
}

/** (x - mean) / scale over the last axis, then `* w + b` when `affine` is given (LN; LNPre without). */
export function applyLayerNorm(
  x: Tensor,
  mean: Float64Array,
  scale: Tensor,
  affine?: { w: Float32Array; b: Float32Array },
): Tensor {
  const d = x.shape[x.rank - 1];
  const out = new Float32Array(x.size);
  const src = x.data;
  const s = scale.data;
  for (let r = 0, o = 0; o < out.length; r++, o += d) {
    const m = mean[r];
    const sr = s[r];
    if (affine) {
      const { w, b } = affine;
      for (let j = 0; j < d; j++) out[o + j] = Math.fround((src[o + j] - m) / sr) * w[j] + b[j];
    } else {
      for (let j = 0; j < d; j++) out[o + j] = (src[o + j] - m) / sr;
    }
  }
  return new Tensor(out, x.shape);
}

/** Softmax over the last axis, in place on `data` viewed as [rows, n]. */
export function softmaxRowsInPlace(data: Float32Array, n: number): void {
  for (let o = 0; o < data.length; o += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (data[o + j] > max) max = data[o + j];
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(data[o + j] - max);
      data[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < n; j++) data[o + j] /= sum;
  }
}

export function softmaxLastDim(x: Tensor): Tensor {
  const out = x.data.slice();
  softmaxRowsInPlace(out, x.shape[x.rank - 1]);
  return new Tensor(out, x.shape);
}

/** erf to ~1e-7 relative (Numerical Recipes' Chebyshev fit of erfc), enough for float32. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = ERFC_COEFFS.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + ERFC_COEFFS[j];
    dd = tmp;
  }
  const erfc = t * Math.exp(-z * z + 0.5 * (ERFC_COEFFS[0] + ty * d) - dd);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

const ERFC_COEFFS = [
  -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3,
  -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6,
  1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10,
  -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13,
  3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

export type ActivationName = 'relu' | 'gelu' | 'silu' | 'gelu_new' | 'gelu_fast' | 'solu_ln';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Scalar activation functions with TransformerLens 1.2.2 semantics (solu's softmax part is separate). */
export const ACTIVATIONS: Record<Exclude<ActivationName, 'solu_ln'>, (x: number) => number> = {
  relu: (x) => (x > 0 ? x : 0),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  silu: (x) => x / (1 + Math.exp(-x)),
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
  gelu_fast: (x) => 0.5 * x * (1 + Math.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))),
};

/** Applies an elementwise activation; `solu_ln` gives x * softmax(x) over the last axis (before its LN). */
export function activate(x: Tensor, name: ActivationName): Tensor {
  if (name === 'solu_ln') {
    const sm = softmaxLastDim(x);
    const out = new Float32Array(x.size);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] * sm.data[i];
    return new Tensor(out, x.shape);
  }
  const f = ACTIVATIONS[name];
  const out = new Float32Array(x.size);
  const src = x.data;
  if (name === 'relu') for (let i = 0; i < out.length; i++) out[i] = src[i] > 0 ? src[i] : 0;
  else for (let i = 0; i < out.length; i++) out[i] = f(src[i]);
  return new Tensor(out, x.shape);
}
