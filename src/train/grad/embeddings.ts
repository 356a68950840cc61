/**
 * Backward of DTI's `to_tokens` (`dti_spec.md` §1.4, §1.7): from dL/d tokens [B, P, d] (= dL/d hook_embed)
 * to the embedding weights. R_t = rtg·w_R + time_t, s_t = W_state·flatten_chw(obs_t) + time_t,
 * a_t = E_action[a_t] + time_t, interleaved R, s, a; the state gradient is a sparse scatter over the
 * non-zero observation entries (3 of 20 channels per cell for one-hot observations).
 */
import type { DTArchitecture } from '../../model/architecture.ts';
import type { DTInputs } from '../../model/decisionTransformer.ts';

export interface EmbeddingGrads {
  /** state_embedding.weight [d, nObs] */
  stateEmbedding?: Float32Array;
  /** reward_embedding.0.weight [d, 1] */
  rtgEmbedding?: Float32Array;
  /** action_embedding.0.weight [A+1, d] */
  actionEmbedding?: Float32Array;
  /** time_embedding.weight: [maxT+1, d] for a learned embedding, [d, 1] for a linear one */
  timeEmbedding?: Float32Array;
  /** time_embedding.bias [d] (linear time embedding only) */
  timeEmbeddingBias?: Float32Array;
}

/** Accumulates the embedding-weight gradients of a batch whose token gradients are `dTokens` [B, P, d]. */
export function tokenEmbeddingBackward(
  arch: Pick<DTArchitecture, 'dModel' | 'obsShape'>,
  inputs: DTInputs,
  dTokens: Float32Array,
  linearTime: boolean,
  grads: EmbeddingGrads,
): void {
  const d = arch.dModel;
  const [X, Y, C] = arch.obsShape;
  const nObs = X * Y * C;
  const [B, T] = inputs.states.shape;
  const Ta = inputs.actions ? inputs.actions.length / B : 0;
  const P = Ta > 0 ? (Ta === T - 1 ? 3 * T - 1 : 3 * T) : 2;
  const nTimesteps = Ta > 0 ? T : 1;
  // column of W_state for each [x][y][c] observation index: (c, x, y) flattening
  const colOf = new Int32Array(nObs);
  for (let x = 0; x < X; x++)
    for (let y = 0; y < Y; y++)
      for (let c = 0; c < C; c++) colOf[(x * Y + y) * C + c] = c * X * Y + x * Y + y;
  const timeGrad = new Float64Array(d);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < nTimesteps; t++) {
      const bt = b * T + t;
      const rOff = (b * P + 3 * t) * d;
      const sOff = rOff + d;
      const hasAction = Ta > 0 && t < Ta;
      const aOff = sOff + d;
      for (let j = 0; j < d; j++)
        timeGrad[j] = dTokens[rOff + j] + dTokens[sOff + j] + (hasAction ? dTokens[aOff + j] : 0);
      const ts = inputs.timesteps[bt];
      if (grads.timeEmbedding && !linearTime) {
        const row = ts * d;
        for (let j = 0; j < d; j++) grads.timeEmbedding[row + j] += timeGrad[j];
      } else if (linearTime) {
        for (let j = 0; j < d; j++) {
          if (grads.timeEmbedding) grads.timeEmbedding[j] += ts * timeGrad[j];
          if (grads.timeEmbeddingBias) grads.timeEmbeddingBias[j] += timeGrad[j];
        }
      }
      if (grads.rtgEmbedding) {
        const rtg = inputs.rtgs[bt];
        for (let j = 0; j < d; j++) grads.rtgEmbedding[j] += rtg * dTokens[rOff + j];
      }
      if (hasAction && grads.actionEmbedding) {
        const row = inputs.actions![b * Ta + t] * d;
        for (let j = 0; j < d; j++) grads.actionEmbedding[row + j] += dTokens[aOff + j];
      }
      if (grads.stateEmbedding) {
        const obs = inputs.states.data;
        const base = bt * nObs;
        for (let k = 0; k < nObs; k++) {
          const v = obs[base + k];
          if (v === 0) continue;
          const col = colOf[k];
          for (let j = 0; j < d; j++) grads.stateEmbedding[j * nObs + col] += v * dTokens[sOff + j];
        }
      }
    }
}
