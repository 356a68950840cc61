/**
 * The window a play session feeds the model, as a safetensors file in the `inputs.*` layout that
 * `dtlens forward` and `analyze` read (batch 1: `inputs.states [1,T,X,Y,C]`, `inputs.rtgs [1,T,1]`,
 * `inputs.timesteps [1,T,1]`, `inputs.actions [1,T-1,1]` where the window has action tokens). The app's
 * "Export window" and `dtlens window` both write it, so the CLI and the app feed the model the same
 * numbers. The metadata records how to rebuild it.
 */
import { writeSafetensors } from '../io/safetensors.ts';
import { inputsToTensors } from '../model/inputs.ts';
import type { PlaySession } from './playSession.ts';

export interface WindowFileMeta {
  /** Model file name. */
  model: string;
  envId: string;
  weights: string;
  seed: number;
}

/** Actions taken since the reset (the padding removed). */
export const actionsTaken = (session: PlaySession): number[] =>
  session.history.actions.slice(session.history.maxLen - 1);

export function windowFile(session: PlaySession, meta: WindowFileMeta): Uint8Array {
  return writeSafetensors(inputsToTensors(session.window()), {
    model: meta.model,
    weights: meta.weights,
    env: meta.envId,
    seed: String(meta.seed),
    initial_rtg: String(session.initialRtg),
    actions: actionsTaken(session).join(','),
  });
}
