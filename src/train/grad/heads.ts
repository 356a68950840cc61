/**
 * Backward of a prediction head (torch Linear W [out, d], b [out]) read at chosen token positions of the
 * transformer output x [B, P, d], as in DTI's `get_logits` (actions at the s_t tokens).
 */
import type { Gemm } from '../../tensor/gemm.ts';
import type { LinearWeights } from '../../model/weights.ts';
import type { LinearGradTargets } from './linear.ts';
import { torchLinearBackward } from './linear.ts';

/**
 * preds[b, t] = W·x[b, position(t)] + b for t < T. Accumulates dW, db and adds dL/dx into `dx` [B, P, d].
 */
export function headBackward(
  gemm: Gemm,
  head: LinearWeights,
  x: Float32Array,
  dims: { B: number; P: number; T: number; d: number },
  position: (t: number) => number,
  dPreds: Float32Array,
  dx: Float32Array,
  targets: LinearGradTargets,
): void {
  const { B, P, T, d } = dims;
  const nOut = head.W.shape[0];
  const gathered = new Float32Array(B * T * d);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const src = (b * P + position(t)) * d;
      gathered.set(x.subarray(src, src + d), (b * T + t) * d);
    }
  const dGathered = torchLinearBackward(gemm, gathered, head.W.data, dPreds, B * T, d, nOut, {
    dW: targets.dW,
    db: head.b ? targets.db : undefined,
  });
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const dst = (b * P + position(t)) * d;
      const src = (b * T + t) * d;
      for (let j = 0; j < d; j++) dx[dst + j] += dGathered[src + j];
    }
}
