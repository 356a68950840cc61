/**
 * The residual-stream direction whose projection the attribution analyses report (DTI's "Attribution
 * Configuration"): `W_U[positive] − W_U[negative]` (a logit difference) or `W_U[positive]` alone, with
 * W_U = the loaded variant's action predictor weight [A, d]. The predictor bias is never included.
 */
import { check } from '../../errors.ts';
import { IDX_TO_ACTION } from '../../env/core/actions.ts';
import type { ActivationCache } from '../../model/activationCache.ts';

export interface LogitDirectionSpec {
  positive: number;
  /** Omit (or null) for a single action's logit. */
  negative?: number | null;
}

/** DTI's default: left minus right. */
export const DEFAULT_LOGIT_DIRECTION: LogitDirectionSpec = { positive: 0, negative: 1 };

export interface LogitDirection {
  positive: number;
  negative: number | null;
  /** e.g. "left − right" or "forward" */
  label: string;
  /** [d] */
  vector: Float32Array;
}

/** Name of action `a` (MiniGrid names; other ids as "action a"). */
export const actionName = (a: number): string => IDX_TO_ACTION[a] ?? `action ${a}`;

export function logitDirection(
  cache: ActivationCache,
  spec: LogitDirectionSpec = DEFAULT_LOGIT_DIRECTION,
): LogitDirection {
  const negative = spec.negative ?? null;
  check(
    negative !== spec.positive,
    'BAD_INPUT',
    `the positive and negative actions must differ (both are ${spec.positive})`,
  );
  const vector = cache.actionDirection(spec.positive, negative ?? undefined);
  const label =
    negative === null ? actionName(spec.positive) : `${actionName(spec.positive)} − ${actionName(negative)}`;
  return { positive: spec.positive, negative, label, vector };
}
