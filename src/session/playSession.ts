/**
 * One interactive episode as DTI's app plays it (`dti_spec.md` §5.0): an env built from the checkpoint's
 * env config, a model, and the padded history. `predict` runs the window and reads the last action
 * distribution. Isomorphic: used by the browser worker and by Node tests alike.
 */
import { DtlensError, check } from '../errors.ts';
import type { Env } from '../env/core/types.ts';
import type { EnvSnapshot } from '../env/snapshot.ts';
import type { ActivationCache } from '../model/activationCache.ts';
import type { DecisionTransformer, DTInputs } from '../model/decisionTransformer.ts';
import type { NameFilter } from '../model/hooks.ts';
import type { Tensor } from '../tensor/tensor.ts';
import {
  type History,
  type WindowLayout,
  appendStep,
  initialHistory,
  returnsToGo,
  stepsTaken,
  windowInputs,
} from './history.ts';

/** DTI's default "Initial RTG" slider value. */
export const DEFAULT_INITIAL_RTG = 0.9;

/** The model's read-out at the last timestep of the window. */
export interface Prediction {
  /** Action logits [A] (predictor bias included). */
  logits: Float32Array;
  /** softmax(logits) [A], computed in float64. */
  probs: Float64Array;
  /** -sum p ln p (natural log). */
  entropy: number;
  /** argmax of the logits (DTI's greedy action). */
  greedyAction: number;
  cache?: ActivationCache;
}

export type EpisodeEnd = 'terminated' | 'truncated' | null;

/** Numerically stable softmax in float64. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Shannon entropy in nats; zero-probability terms contribute 0. */
export function entropy(probs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > 0) h -= probs[i] * Math.log(probs[i]);
  return h;
}

export class PlaySession {
  private hist: History | null = null;
  private end: EpisodeEnd = null;
  private rtg0: number;

  constructor(
    readonly model: DecisionTransformer,
    readonly env: Env,
    initialRtg = DEFAULT_INITIAL_RTG,
    /** `legacy` for DTI@5367db3 models (one timestep, tokens [R, S, A_prev]). */
    readonly layout: WindowLayout = 'dti',
  ) {
    check(
      env.nActions === model.arch.nActions,
      'BAD_CONFIG',
      `the env has ${env.nActions} actions but the model predicts ${model.arch.nActions}`,
    );
    this.rtg0 = checkedRtg(initialRtg);
  }

  /** Starts a new episode with `env.reset(seed)`, clearing the history (keeps the initial RTG). */
  reset(seed: number): void {
    check(
      Number.isSafeInteger(seed) && seed >= 0,
      'BAD_INPUT',
      `seed must be a non-negative integer, got ${seed}`,
    );
    const obs = this.env.reset(seed);
    check(
      obs.shape.every((s, i) => s === this.model.arch.obsShape[i]),
      'BAD_CONFIG',
      `the env observes ${obs.shape.join('x')} but the model expects ${this.model.arch.obsShape.join('x')}`,
    );
    const maxLen = this.layout === 'legacy' ? 1 : this.model.maxLen;
    this.hist = initialHistory(obs.image, obs.shape, maxLen, this.model.arch.nActions, this.layout);
    this.end = null;
  }

  /** Takes one action; refuses once the episode has ended (reset to play again). */
  step(action: number): { reward: number; end: EpisodeEnd } {
    const h = this.history;
    if (this.end) throw new DtlensError('BAD_INPUT', 'the episode has ended: reset the environment');
    check(
      Number.isInteger(action) && action >= 0 && action < this.env.nActions,
      'BAD_INPUT',
      `action ${action} is outside 0..${this.env.nActions - 1}`,
    );
    const r = this.env.step(action);
    this.hist = appendStep(h, action, r.obs.image, r.reward);
    this.end = r.terminated ? 'terminated' : r.truncated ? 'truncated' : null;
    return { reward: r.reward, end: this.end };
  }

  /** Re-targets the whole history: rtg_t = initial - cumulative reward up to t. */
  setInitialRtg(initialRtg: number): void {
    this.rtg0 = checkedRtg(initialRtg);
  }

  get initialRtg(): number {
    return this.rtg0;
  }

  get history(): History {
    if (!this.hist) throw new DtlensError('BAD_INPUT', 'the session has not been reset yet');
    return this.hist;
  }

  get episodeEnd(): EpisodeEnd {
    return this.end;
  }

  get steps(): number {
    return stepsTaken(this.history);
  }

  /** Returns-to-go of the whole history (padding included). */
  rtgs(): number[] {
    return returnsToGo(this.history, this.rtg0);
  }

  snapshot(): EnvSnapshot {
    return this.env.snapshot();
  }

  /** The model input for the current window (batch 1). */
  window(): DTInputs {
    return windowInputs(this.history, this.rtg0);
  }

  /** Forward pass on the window: action distribution at the last timestep, and optionally a cache. */
  predict(options: { cache?: boolean | NameFilter } = {}): Prediction {
    const run = this.model.run(this.window(), { cache: options.cache ?? false });
    return { ...predictionFrom(run.actionPreds!), cache: run.cache };
  }
}

/** The read-out of action predictions [1, T', A] at the last timestep. */
export function predictionFrom(actionPreds: Tensor): Prediction {
  const [, T, A] = actionPreds.shape;
  const logits = actionPreds.data.slice((T - 1) * A, T * A);
  const probs = softmax(logits);
  let greedyAction = 0;
  for (let a = 1; a < A; a++) if (logits[a] > logits[greedyAction]) greedyAction = a;
  return { logits, probs, entropy: entropy(probs), greedyAction };
}

function checkedRtg(r: number): number {
  check(Number.isFinite(r), 'BAD_INPUT', `initial RTG must be a finite number, got ${r}`);
  return r;
}
