/**
 * The windows a report analyses when none are given: greedy rollouts (DTI's evaluation policy) from a
 * few seeds at DTI's default initial RTG, each at its last decision (the window before the final action,
 * or after `maxSteps` actions).
 */
import type { Checkpoint } from '../io/checkpoint.ts';
import type { DTInputs } from '../model/decisionTransformer.ts';
import type { WeightVariant } from '../model/processing.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { openSession } from '../session/openSession.ts';
import { DEFAULT_INITIAL_RTG } from '../session/playSession.ts';

export interface ReportWindow {
  label: string;
  inputs: DTInputs;
}

export function defaultWindows(
  ckpt: Checkpoint,
  options: { gemm: Gemm; weights: WeightVariant; seeds?: number[]; maxSteps?: number },
): ReportWindow[] {
  const session = openSession(ckpt, { gemm: options.gemm, weights: options.weights });
  const maxSteps = options.maxSteps ?? 30;
  return (options.seeds ?? [0, 1]).map((seed) => {
    session.reset(seed);
    let window = session.window();
    for (let t = 0; t < maxSteps && !session.episodeEnd; t++) {
      window = session.window();
      session.step(session.predict().greedyAction);
    }
    const steps = session.steps;
    return {
      label: `greedy rollout, seed ${seed}, initial RTG ${DEFAULT_INITIAL_RTG}: the window of its last decision (step ${steps}, ${session.episodeEnd ?? 'running'})`,
      inputs: window,
    };
  });
}
