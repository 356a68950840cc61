/**
 * Backward of the TransformerLens MLPs (`dti_spec.md` §1.5) from the forward's cache:
 * plain: pre = x·W_in + b_in, post = act(pre);
 * gated (TL 1.2.2 GatedMLP): pre = x·W_gate (+ b_gate), post = act(pre) ⊙ (x·W_in (+ b_linear)) + b_in,
 * where the linear branch x·W_in is recomputed here (it is not a hook point);
 * then out = post·W_out + b_out.
 */
import type { Gemm } from '../../tensor/gemm.ts';
import type { ActivationName } from '../../tensor/ops.ts';
import { activate } from '../../tensor/ops.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { MlpWeights } from '../../model/weights.ts';
import { activationBackward } from './activation.ts';
import { accumulateBiasGrad, matmulBackward } from './linear.ts';

export type MlpWeightGrads = Partial<Record<Exclude<keyof MlpWeights, 'ln'>, Float32Array>>;

export interface MlpCacheSlice {
  /** MLP input (ln2 output or resid_mid) [rows, d] */
  x: Float32Array;
  /** hook_pre [rows, m] */
  pre: Float32Array;
  /** hook_post [rows, m] */
  post: Float32Array;
}

export interface MlpBackward {
  dx: Float32Array;
  /** dL/d hook_pre, dL/d hook_post [rows, m] */
  dPre: Float32Array;
  dPost: Float32Array;
}

export function mlpBackward(
  gemm: Gemm,
  dims: { rows: number; d: number; m: number; activationFn: ActivationName },
  w: MlpWeights,
  cache: MlpCacheSlice,
  dOut: Float32Array,
  grads: MlpWeightGrads,
  /** A gradient arriving at hook_pre directly (a metric read there), added to the one from dOut. */
  dPreSeed?: Float32Array,
): MlpBackward {
  const seeded = (dPre: Float32Array) => {
    if (dPreSeed) for (let i = 0; i < dPre.length; i++) dPre[i] += dPreSeed[i];
    return dPre;
  };
  const { rows, d, m, activationFn } = dims;
  const dPost = matmulBackward(gemm, cache.post, w.W_out.data, dOut, rows, m, d, {
    dW: grads.W_out,
    db: grads.b_out,
  });
  if (!w.W_gate) {
    const dPre = seeded(activationBackward(activationFn, cache.pre, dPost));
    const dx = matmulBackward(gemm, cache.x, w.W_in.data, dPre, rows, d, m, {
      dW: grads.W_in,
      db: grads.b_in,
    });
    return { dx, dPre, dPost };
  }
  if (grads.b_in) accumulateBiasGrad(dPost, grads.b_in);
  const linear = gemm.matmul(cache.x, w.W_in.data, rows, d, m);
  if (w.b_linear) for (let i = 0; i < linear.length; i++) linear[i] += w.b_linear.data[i % m];
  const act = activate(new Tensor(cache.pre, [rows, m]), activationFn).data;
  const dLinear = new Float32Array(rows * m);
  const dAct = new Float32Array(rows * m);
  for (let i = 0; i < dLinear.length; i++) {
    dLinear[i] = dPost[i] * act[i];
    dAct[i] = dPost[i] * linear[i];
  }
  const dPre = seeded(activationBackward(activationFn, cache.pre, dAct));
  const dx = matmulBackward(gemm, cache.x, w.W_gate.data, dPre, rows, d, m, {
    dW: grads.W_gate,
    db: grads.b_gate,
  });
  const dxLinear = matmulBackward(gemm, cache.x, w.W_in.data, dLinear, rows, d, m, {
    dW: grads.W_in,
    db: grads.b_linear,
  });
  for (let i = 0; i < dx.length; i++) dx[i] += dxLinear[i];
  return { dx, dPre, dPost };
}
