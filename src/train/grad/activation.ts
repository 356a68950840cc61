/**
 * Derivatives of the MLP activation functions (TransformerLens 1.2.2 definitions, `tensor/ops.ts`).
 * `solu_ln` (softmax-weighted, with an inner layer norm) is not supported for training.
 */
import { DtlensError } from '../../errors.ts';
import { type ActivationName, erf } from '../../tensor/ops.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d/dx of 0.5·x·(1 + tanh(c·(x + 0.044715·x³))). */
function tanhGeluDerivative(x: number, c: number): number {
  const t = Math.tanh(c * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
}

export const ACTIVATION_DERIVATIVES: Record<Exclude<ActivationName, 'solu_ln'>, (x: number) => number> = {
  relu: (x) => (x > 0 ? 1 : 0),
  gelu: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
  silu: (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 + x * (1 - s));
  },
  gelu_new: (x) => tanhGeluDerivative(x, SQRT_2_OVER_PI),
  gelu_fast: (x) => tanhGeluDerivative(x, 0.7978845608),
};

/** dL/dpre = dL/dpost · act'(pre), elementwise; `pre` is the activation's input (hook_pre). */
export function activationBackward(
  name: ActivationName,
  pre: Float32Array,
  dPost: Float32Array,
): Float32Array {
  if (name === 'solu_ln')
    throw new DtlensError('UNSUPPORTED', 'training with the solu_ln activation is not supported');
  const out = new Float32Array(pre.length);
  if (name === 'relu') {
    for (let i = 0; i < out.length; i++) out[i] = pre[i] > 0 ? dPost[i] : 0;
    return out;
  }
  const f = ACTIVATION_DERIVATIVES[name];
  for (let i = 0; i < out.length; i++) out[i] = dPost[i] * f(pre[i]);
  return out;
}
