/**
 * The gradient of a patching metric (`metrics.ts`) with respect to the model's outputs, as the seed of
 * one backward pass (`src/train/backward.ts`), at a run of one window:
 *
 * - `logit-diff`, `rtg`: `∂LD/∂x[−1] = W_U[pos] − W_U[neg]` on the transformer output (the RTG metric's
 *   score is the logit-difference score);
 * - `action-prob`: `∂p_a/∂z_j = p_a (δ_aj − p_j)` on the last action logits;
 * - `kl`: `∂KL(p_clean ‖ softmax(z))/∂z_j = q_j − p_clean_j` on the last action logits (zero at the
 *   clean run itself: KL has its minimum there, so a first-order estimate from the clean run is 0);
 * - `neuron`: one at `blocks.{l}.mlp.hook_pre[−1, n]`.
 */
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { OutputGrads } from '../../train/backward.ts';
import { DEFAULT_LOGIT_DIRECTION, logitDirection } from '../dynamic/logitDirection.ts';
import { type MetricSpec, softmax } from './metrics.ts';

/** Last action logits [A] of a single-window run. */
function lastLogits(run: RunResult): Float32Array {
  const [, T, A] = run.actionPreds!.shape;
  return run.actionPreds!.data.subarray((T - 1) * A, T * A);
}

/**
 * The output gradient of `spec` at `run` (a cached single-window run); `clean` is the clean window's run
 * (the logit direction and KL's reference distribution), as for `metricReader`.
 */
export function metricOutputGrads(
  model: DecisionTransformer,
  spec: MetricSpec,
  run: RunResult,
  clean: RunResult,
): OutputGrads {
  const [, P, d] = run.transformerOut.shape;
  switch (spec.kind) {
    case 'logit-diff':
    case 'rtg': {
      const dOut = new Float32Array(P * d);
      const dir = logitDirection(clean.cache as ActivationCache, spec.direction ?? DEFAULT_LOGIT_DIRECTION);
      dOut.set(dir.vector, (P - 1) * d);
      return { transformerOut: new Tensor(dOut, [1, P, d]) };
    }
    case 'action-prob':
    case 'kl': {
      const [, T, A] = run.actionPreds!.shape;
      const q = softmax(lastLogits(run));
      const p = spec.kind === 'kl' ? softmax(lastLogits(clean)) : null;
      const g = new Float32Array(T * A);
      for (let j = 0; j < A; j++)
        g[(T - 1) * A + j] =
          spec.kind === 'kl' ? q[j] - p![j] : q[spec.action] * ((j === spec.action ? 1 : 0) - q[j]);
      return { actionPreds: new Tensor(g, [1, T, A]) };
    }
    case 'neuron': {
      const m = model.arch.dMlp;
      const g = new Float32Array(P * m);
      g[(P - 1) * m + spec.neuron] = 1;
      return { mlpPre: new Map([[spec.layer, new Tensor(g, [1, P, m])]]) };
    }
  }
}
