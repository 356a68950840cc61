/**
 * Online evaluation of a Decision Transformer (DTI `evaluate_dt_agent`, `dti_spec.md` §4.3): episodes
 * run side by side in a batch; at every step the window ending at the current step is built with the
 * same `writeWindow` as training (zero-observation / pad-action padding, RTG = target − rewards so far),
 * and the action is the argmax of the last s-token's logits. Episode i uses env seed `seed + i`.
 */
import type { Env } from '../env/index.ts';
import { makeDtiEnv, npRandom } from '../env/index.ts';
import type { EnvConfig } from '../model/config.ts';
import type { DecisionTransformer } from '../model/decisionTransformer.ts';
import { Tensor } from '../tensor/tensor.ts';
import { type WindowArrays, writeWindow } from './sampler.ts';

export interface RtgResult {
  targetRtg: number;
  episodes: number;
  meanReturn: number;
  /** Share of episodes ending with a positive reward (the goal / the matching object). */
  successRate: number;
  meanLength: number;
  /** Per-episode returns, in seed order. */
  returns: number[];
}

export interface RolloutOptions {
  env: EnvConfig;
  episodes: number;
  seed: number;
  /** Cut an episode after this many steps (counts as a failure); default: the env's max_steps. */
  maxEpisodeSteps?: number;
  /** Probability of a uniformly random action instead of the argmax (numpy PCG64 stream seeded with `seed`); default 0. */
  epsilon?: number;
  /** Sees every step's batch of windows: row b is episode `episodes[b]` at step `step`. */
  onWindows?: (w: WindowArrays, episodes: readonly number[], step: number) => void;
}

interface Live {
  env: Env;
  frames: Uint8Array[];
  actions: number[];
  rtgs: number[];
  ret: number;
  done: boolean;
  success: boolean;
}

export function evaluateAtRtg(model: DecisionTransformer, targetRtg: number, o: RolloutOptions): RtgResult {
  const pad = model.arch.nActions;
  const T = model.maxLen;
  const [X, Y, C] = model.arch.obsShape;
  const cell = X * Y * C;
  const live: Live[] = Array.from({ length: o.episodes }, (_, i) => {
    const env = makeDtiEnv(o.env);
    const first = env.reset(o.seed + i);
    return {
      env,
      frames: [first.image.slice()],
      actions: [],
      rtgs: [targetRtg],
      ret: 0,
      done: false,
      success: false,
    };
  });
  const cap = Math.min(o.maxEpisodeSteps ?? Infinity, o.env.maxSteps, model.maxTimestep + 1);
  const epsilon = o.epsilon ?? 0;
  const rng = npRandom(o.seed);
  for (let step = 0; step < cap; step++) {
    const active = live.filter((e) => !e.done);
    if (active.length === 0) break;
    const B = active.length;
    const w: WindowArrays = {
      states: new Float32Array(B * T * cell),
      actions: new Int32Array(B * (T - 1)).fill(pad),
      rtgs: new Float32Array(B * T),
      timesteps: new Int32Array(B * T),
      targets: new Int32Array(B * T).fill(pad),
      T,
      cell,
    };
    active.forEach((e, b) =>
      writeWindow(w, b, step, {
        observation: (t) => e.frames[t],
        action: (t) => e.actions[t] ?? pad,
        rtg: (t) => e.rtgs[t],
      }),
    );
    o.onWindows?.(
      w,
      active.map((e) => live.indexOf(e)),
      step,
    );
    const { actionPreds } = model.run({
      states: new Tensor(w.states, [B, T, X, Y, C]),
      actions: T > 1 ? w.actions : new Int32Array(0),
      rtgs: w.rtgs,
      timesteps: w.timesteps,
    });
    const A = pad;
    const Tp = actionPreds!.shape[1];
    active.forEach((e, b) => {
      const o2 = (b * Tp + Tp - 1) * A;
      let best = 0;
      for (let a = 1; a < A; a++) if (actionPreds!.data[o2 + a] > actionPreds!.data[o2 + best]) best = a;
      const action = epsilon > 0 && rng.random() < epsilon ? rng.integers(0, A) : best;
      const r = e.env.step(action);
      e.actions.push(action);
      e.ret += r.reward;
      if (r.terminated || r.truncated) {
        e.done = true;
        e.success = r.reward > 0;
      } else {
        e.frames.push(r.obs.image.slice());
        e.rtgs.push(targetRtg - e.ret);
      }
    });
  }
  const returns = live.map((e) => e.ret);
  return {
    targetRtg,
    episodes: o.episodes,
    meanReturn: mean(returns),
    successRate: mean(live.map((e) => (e.success ? 1 : 0))),
    meanLength: mean(live.map((e) => e.actions.length)),
    returns,
  };
}

export function evaluateAtRtgs(
  model: DecisionTransformer,
  targetRtgs: readonly number[],
  o: RolloutOptions,
): RtgResult[] {
  return targetRtgs.map((rtg) => evaluateAtRtg(model, rtg, o));
}

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
