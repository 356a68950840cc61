/**
 * DTI's `make_env` wrapper chain (`src/environments/environments.py`) from an `EnvironmentConfig`:
 * the registered env with its `max_steps`, then FullyObs, ViewSize (if not 7) and OneHot as asked.
 * Like DTI it never seeds the env itself: pass a seed to `reset`.
 */
import { check } from '../../errors.ts';
import type { Env } from '../core/types.ts';
import { makeEnv } from '../registry.ts';
import { FullyObsWrapper } from './fullyObs.ts';
import { OneHotPartialObsWrapper } from './oneHot.ts';
import { ViewSizeWrapper } from './viewSize.ts';

/** The env fields of DTI's `EnvironmentConfig`. */
export interface EnvironmentConfig {
  envId: string;
  oneHotObs?: boolean;
  fullyObserved?: boolean;
  /** `max_steps` passed to the env; 0/undefined keeps the env's default (DTI passes it only if truthy). */
  maxSteps?: number;
  viewSize?: number;
}

export function makeDtiEnv(config: EnvironmentConfig): Env {
  const { envId, oneHotObs = false, fullyObserved = false, maxSteps, viewSize = 7 } = config;
  check(!(oneHotObs && fullyObserved), 'BAD_CONFIG', 'oneHotObs and fullyObserved cannot both be set');
  let env: Env = makeEnv(envId, maxSteps ? { maxSteps } : {});
  if (fullyObserved) env = new FullyObsWrapper(env);
  if (viewSize !== 7) env = new ViewSizeWrapper(env, viewSize);
  if (oneHotObs) env = new OneHotPartialObsWrapper(env);
  return env;
}
