/**
 * A clean/corrupted window pair prepared for the causal analyses that compare two runs (path patching,
 * attribution patching): both full caches, the clean token embeddings and DTI's logit-difference
 * recovery metric `m = (LD − LD_corrupted) / (LD_clean − LD_corrupted)` with `LD = x[0, −1] · dir`,
 * x = the transformer output (after ln_final) at the last position and `dir = W_U[pos] − W_U[neg]`.
 */
import { check } from '../../errors.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { shapeString } from '../../tensor/tensor.ts';
import {
  DEFAULT_LOGIT_DIRECTION,
  type LogitDirection,
  type LogitDirectionSpec,
  logitDirection,
} from '../dynamic/logitDirection.ts';

export interface PreparedPair {
  /** Clean token embeddings [1, P, d] (the run every patch starts from). */
  tokens: Tensor;
  /** Corrupted token embeddings [1, P, d] (the base run of denoising). */
  corruptedTokens: Tensor;
  noActions: boolean;
  clean: ActivationCache;
  corrupted: ActivationCache;
  direction: LogitDirection;
  cleanLogitDiff: number;
  corruptedLogitDiff: number;
}

/** Runs both windows (batches of one, same shape) with full caches. */
export function preparePair(
  model: DecisionTransformer,
  clean: DTInputs,
  corrupted: DTInputs,
  spec: LogitDirectionSpec = DEFAULT_LOGIT_DIRECTION,
): PreparedPair {
  const tokens = model.toTokens(clean);
  const corruptedTokens = model.toTokens(corrupted);
  check(
    tokens.shape[0] === 1 && shapeString(tokens.shape) === shapeString(corruptedTokens.shape),
    'BAD_SHAPE',
    `the clean and corrupted inputs must be single windows of the same length, got tokens ${shapeString(tokens.shape)} and ${shapeString(corruptedTokens.shape)}`,
  );
  const noActions = clean.actions === null;
  const run = (t: Tensor) => model.runFromTokens(t, { cache: true, noActions });
  const c = run(tokens);
  const k = run(corruptedTokens);
  const direction = logitDirection(c.cache!, spec);
  return {
    tokens,
    corruptedTokens,
    noActions,
    clean: c.cache!,
    corrupted: k.cache!,
    direction,
    cleanLogitDiff: lastLogitDiffs(c.transformerOut, direction.vector)[0],
    corruptedLogitDiff: lastLogitDiffs(k.transformerOut, direction.vector)[0],
  };
}

/** `x[b, −1] · dir` for every batch row of a transformer output [B, P, d]. */
export function lastLogitDiffs(out: Tensor, dir: Float32Array): Float64Array {
  const [B, P, d] = out.shape;
  const res = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const o = (b * P + P - 1) * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += out.data[o + j] * dir[j];
    res[b] = s;
  }
  return res;
}

/** DTI's recovery metric of a logit difference (1 = clean, 0 = corrupted). */
export const recovery = (pair: PreparedPair, ld: number): number =>
  (ld - pair.corruptedLogitDiff) / (pair.cleanLogitDiff - pair.corruptedLogitDiff);
