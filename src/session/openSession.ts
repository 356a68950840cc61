/** Builds a `PlaySession` from a loaded checkpoint: the env from its env config (DTI's `make_env`) and the model. */
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
  const env = makeDtiEnv({
    envId: ckpt.env.envId,
    oneHotObs: ckpt.env.oneHotObs,
    fullyObserved: ckpt.env.fullyObserved,
    maxSteps: ckpt.env.maxSteps,
    viewSize: ckpt.env.viewSize,
  });
  return new PlaySession(model, env, options.initialRtg, ckpt.legacy ? 'legacy' : 'dti');
}
