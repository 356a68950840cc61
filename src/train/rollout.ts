/**
 * Online evaluation of a Decision Transformer (DTI `evaluate_dt_agent`, `dti_spec.md` §4.3): episodes
 * run side by side in a batch; at every step the window ending at the current step is built with the
 * same `writeWindow` as training (zero-observation / pad-action padding, RTG = target − rewards so far),
 * and the action is the argmax of the last s-token's logits. Episode i uses env seed `seed + i`.
 * `playEpisodes` is the shared player (with optional hooks per step: closed-loop interventions).
 */
import { check } from '../errors.ts';
import type { Env } from '../env/index.ts';
import { makeDtiEnv, npRandom } from '../env/index.ts';
import type { EnvConfig } from '../config/config.ts';
import type { DTInputs, DecisionTransformer } from '../model/decisionTransformer.ts';
import type { Hook } from '../model/hooks.ts';
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

/** One finished episode of `playEpisodes`. */
export interface EpisodeOutcome {
  seed: number;
  return: number;
  /** Ended with a positive reward. */
  success: boolean;
  /** Actions taken. */
  length: number;
  /** Ended by termination or truncation (false: cut at the step cap). */
  finished: boolean;
  /** The env as the episode left it (e.g. the agent's final cell). */
  env: Env;
}

export interface PlayOptions {
  env: EnvConfig;
  /** One episode per seed, all played side by side in one batch. */
  seeds: readonly number[];
  targetRtg: number;
  /** Cut an episode after this many steps (counts as a failure); default: the env's max_steps. */
  maxEpisodeSteps?: number;
  /**
   * Hooks of each step's batched forward, given the episode index of each batch row (closed-loop
   * interventions); none by default. With hooks every step runs on the hooked core (`core: 'hooked'`),
   * steps of rows without interventions too, so conditions compare bit for bit.
   */
  hooks?: (episodes: readonly number[]) => readonly Hook[];
  /** Compute only the last token in the last block (`RunOptions.lastPositionOnly`; with hooks only). */
  lastPositionOnly?: boolean;
  /** Sees each episode's env right after its seeded reset. */
  onReset?: (episode: number, env: Env) => void;
  /** Sees each step's batched inputs before the forward (e.g. to collect a dataset of windows). */
  observe?: (episodes: readonly number[], inputs: DTInputs, step: number) => void;
  /** Sees each step's window arrays (the training sampler's layout) before the forward. */
  onWindows?: (w: WindowArrays, episodes: readonly number[], step: number) => void;
  /** Random actions with this probability instead of the argmax (default 0), drawn from `rng`. */
  epsilon?: number;
  /** The numpy PCG64 stream of the random actions (required when `epsilon > 0`). */
  rng?: ReturnType<typeof npRandom>;
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

/** Plays one greedy episode per seed, batched over the episodes still running at each step. */
export function playEpisodes(model: DecisionTransformer, o: PlayOptions): EpisodeOutcome[] {
  const steps = episodeSteps(model, o);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * `playEpisodes` one batched step at a time: yields the step index after each step and returns the
 * outcomes, so a caller can pause between steps (the app's worker yields to its message loop and honours
 * cancel there: `runStepwise` in `analysis/jobs.ts`).
 */
export function* episodeSteps(
  model: DecisionTransformer,
  o: PlayOptions,
): Generator<number, EpisodeOutcome[], void> {
  const pad = model.arch.nActions;
  const T = model.maxLen;
  const [X, Y, C] = model.arch.obsShape;
  const cell = X * Y * C;
  const { targetRtg } = o;
  const live: Live[] = o.seeds.map((seed, i) => {
    const env = makeDtiEnv(o.env);
    const first = env.reset(seed);
    o.onReset?.(i, env);
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
  check(epsilon === 0 || o.rng, 'BAD_INPUT', 'random actions (epsilon > 0) need a seeded rng');
  for (let step = 0; step < cap; step++) {
    const ids = live.map((_, i) => i).filter((i) => !live[i].done);
    if (ids.length === 0) break;
    const active = ids.map((i) => live[i]);
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
    const inputs: DTInputs = {
      states: new Tensor(w.states, [B, T, X, Y, C]),
      actions: T > 1 ? w.actions : new Int32Array(0),
      rtgs: w.rtgs,
      timesteps: w.timesteps,
    };
    o.onWindows?.(w, ids, step);
    o.observe?.(ids, inputs, step);
    const { actionPreds } = model.run(
      inputs,
      o.hooks ? { hooks: o.hooks(ids), lastPositionOnly: o.lastPositionOnly, core: 'hooked' } : {},
    );
    const A = pad;
    const Tp = actionPreds!.shape[1];
    active.forEach((e, b) => {
      const o2 = (b * Tp + Tp - 1) * A;
      let best = 0;
      for (let a = 1; a < A; a++) if (actionPreds!.data[o2 + a] > actionPreds!.data[o2 + best]) best = a;
      const action = epsilon > 0 && o.rng!.random() < epsilon ? o.rng!.integers(0, A) : best;
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
    yield step;
  }
  return live.map((e, i) => ({
    seed: o.seeds[i],
    return: e.ret,
    success: e.success,
    length: e.actions.length,
    finished: e.done,
    env: e.env,
  }));
}

/** How `evaluateAtRtg` plays: seeds `seed + i`, random actions from the numpy stream of `seed`. */
export function rtgPlayOptions(targetRtg: number, o: RolloutOptions): PlayOptions {
  return {
    env: o.env,
    seeds: Array.from({ length: o.episodes }, (_, i) => o.seed + i),
    targetRtg,
    maxEpisodeSteps: o.maxEpisodeSteps,
    epsilon: o.epsilon,
    rng: npRandom(o.seed),
    onWindows: o.onWindows,
  };
}

export function evaluateAtRtg(model: DecisionTransformer, targetRtg: number, o: RolloutOptions): RtgResult {
  return rtgResult(targetRtg, playEpisodes(model, rtgPlayOptions(targetRtg, o)));
}

/** The statistics of one target RTG's played episodes. */
export function rtgResult(targetRtg: number, played: readonly EpisodeOutcome[]): RtgResult {
  const returns = played.map((e) => e.return);
  return {
    targetRtg,
    episodes: played.length,
    meanReturn: mean(returns),
    successRate: mean(played.map((e) => (e.success ? 1 : 0))),
    meanLength: mean(played.map((e) => e.length)),
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
