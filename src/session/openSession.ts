/** Builds a `PlaySession` from a loaded checkpoint: the env from its env config (DTI's `make_env`) and the model. */
import type { Env } from '../env/core/types.ts';
import { makeDtiEnv } from '../env/wrappers/makeDtiEnv.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { createModel } from '../model/load.ts';
import type { WeightVariant } from '../model/processing.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { PlaySession } from './playSession.ts';

export interface OpenSessionOptions {
  gemm: Gemm;
  /** Weight processing (default `processed`: TransformerLens folding, same function as the raw model). */
  weights?: WeightVariant;
  initialRtg?: number;
}

export function openSession(ckpt: Checkpoint, options: OpenSessionOptions): PlaySession {
  const model = createModel(ckpt, { gemm: options.gemm, weights: options.weights ?? 'processed' });
  return new PlaySession(model, makeSessionEnv(ckpt), options.initialRtg, ckpt.legacy ? 'legacy' : 'dti');
}

/** The env of a checkpoint's env config, wrapped as DTI's `make_env` wraps it. */
export function makeSessionEnv(ckpt: Checkpoint): Env {
  return makeDtiEnv({
    envId: ckpt.env.envId,
    oneHotObs: ckpt.env.oneHotObs,
    fullyObserved: ckpt.env.fullyObserved,
    maxSteps: ckpt.env.maxSteps,
    viewSize: ckpt.env.viewSize,
  });
}
