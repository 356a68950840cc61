/**
 * Mean cross-entropy of logits [N, A] against integer targets, skipping ignored rows (DTI: positions
 * whose target is the padding action), and its gradient.
 */
import { DtlensError } from '../../errors.ts';

export interface CrossEntropyResult {
  /** Mean over counted rows (0 if none). */
  loss: number;
  /** dLoss/dlogits [N, A] (zero rows for ignored targets). */
  dLogits: Float32Array;
  /** Rows that counted. */
  count: number;
  /** Counted rows whose argmax equals the target. */
  correct: number;
}

/** Targets equal to `ignoreIndex` do not count (softmax(l) - onehot(t)) / count is the gradient. */
export function crossEntropy(
  logits: Float32Array,
  targets: ArrayLike<number>,
  nClasses: number,
  ignoreIndex: number,
): CrossEntropyResult {
  const N = targets.length;
  if (logits.length !== N * nClasses)
    throw new DtlensError(
      'BAD_SHAPE',
      `cross-entropy: ${logits.length} logits for ${N} targets of ${nClasses} classes`,
    );
  const dLogits = new Float32Array(logits.length);
  let count = 0;
  for (let i = 0; i < N; i++) if (targets[i] !== ignoreIndex) count++;
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < N; i++) {
    const t = targets[i];
    if (t === ignoreIndex) continue;
    if (!(Number.isInteger(t) && t >= 0 && t < nClasses))
      throw new DtlensError('BAD_INPUT', `cross-entropy target ${t} is outside 0..${nClasses - 1}`);
    const o = i * nClasses;
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < nClasses; j++)
      if (logits[o + j] > max) {
        max = logits[o + j];
        arg = j;
      }
    let sum = 0;
    for (let j = 0; j < nClasses; j++) sum += Math.exp(logits[o + j] - max);
    loss += Math.log(sum) + max - logits[o + t];
    if (arg === t) correct++;
    for (let j = 0; j < nClasses; j++) dLogits[o + j] = Math.exp(logits[o + j] - max) / sum / count;
    dLogits[o + t] -= 1 / count;
  }
  return { loss: count ? loss / count : 0, dLogits, count, correct };
}
