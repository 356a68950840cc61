/**
 * Training windows from episodes (DTI `TrajectoryDataset`, `dti_spec.md` §4.2, with its padding made
 * identical to inference; see docs/training.md):
 * - `pctTraj` keeps the highest-return episodes until their steps reach that share of all steps;
 * - an episode is drawn with probability proportional to its length, then the window's last step e is
 *   uniform over the episode (with probability `probGoFromEnd`, the episode's last step);
 * - the window is steps [e - maxLen + 1, e]; positions before the episode start are padding exactly as
 *   at inference (`initialize_padding_inputs`): all-zero observation, pad action, the window's first
 *   real RTG, timestep 0. Padded steps carry no loss.
 * RTG at step t is the undiscounted return from t on (for sparse terminal rewards, as in every supported
 * env, this equals DTI's constant final reward).
 */
import { check } from '../errors.ts';
import type { DTInputs } from '../model/decisionTransformer.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Dataset, Episode } from './dataset.ts';
import { episodeReturn } from './dataset.ts';

export interface SamplerOptions {
  maxLen: number;
  pctTraj: number;
  probGoFromEnd: number;
  /** Probability that a window ends at episode step `focusStep` (clamped to the last step); default 0. */
  probFocusStep?: number;
  focusStep?: number;
}

export interface Batch {
  inputs: DTInputs;
  /** [B, T] action targets; the pad id (nActions) where a step is padding. */
  targets: Int32Array;
}

export interface Rng {
  random(): number;
}

interface PreparedEpisode {
  episode: Episode;
  rtgs: Float32Array;
}

export class WindowSampler {
  private readonly episodes: PreparedEpisode[];
  /** Cumulative step counts for length-proportional sampling. */
  private readonly cumulative: Float64Array;
  private readonly cell: number;

  constructor(
    readonly dataset: Dataset,
    readonly options: SamplerOptions,
  ) {
    check(dataset.episodes.length > 0, 'BAD_DATASET', 'the dataset has no episodes');
    check(options.pctTraj > 0 && options.pctTraj <= 1, 'BAD_INPUT', 'pct-traj must be in (0, 1]');
    check(
      options.probGoFromEnd >= 0 && options.probGoFromEnd <= 1,
      'BAD_INPUT',
      'prob-go-from-end must be in [0, 1]',
    );
    this.cell = dataset.obsShape[0] * dataset.obsShape[1] * dataset.obsShape[2];
    this.episodes = topEpisodes(dataset.episodes, options.pctTraj).map((episode) => ({
      episode,
      rtgs: returnsToGo(episode.rewards),
    }));
    this.cumulative = new Float64Array(this.episodes.length);
    let total = 0;
    this.episodes.forEach((e, i) => (this.cumulative[i] = total += e.episode.actions.length));
  }

  get steps(): number {
    return this.cumulative[this.cumulative.length - 1];
  }

  sample(batchSize: number, rng: Rng): Batch {
    const { maxLen: T } = this.options;
    const [X, Y, C] = this.dataset.obsShape;
    const pad = this.dataset.nActions;
    const B = batchSize;
    const states = new Float32Array(B * T * this.cell);
    const actions = new Int32Array(B * (T - 1)).fill(pad);
    const rtgs = new Float32Array(B * T);
    const timesteps = new Int32Array(B * T);
    const targets = new Int32Array(B * T).fill(pad);
    const window: WindowArrays = { states, actions, rtgs, timesteps, targets, T, cell: this.cell };
    for (let b = 0; b < B; b++) {
      const { episode, rtgs: epRtg } = this.episodes[this.pickEpisode(rng.random())];
      const L = episode.actions.length;
      const end = this.windowEnd(L, rng);
      writeWindow(window, b, end, {
        observation: (t) => episode.observations.subarray(t * this.cell, (t + 1) * this.cell),
        action: (t) => episode.actions[t],
        rtg: (t) => epRtg[t],
      });
    }
    return {
      inputs: { states: new Tensor(states, [B, T, X, Y, C]), actions, rtgs, timesteps },
      targets,
    };
  }

  /** Last step of a window on an episode of L steps: the focus step, the episode end, or uniform. */
  private windowEnd(L: number, rng: Rng): number {
    const { probGoFromEnd, probFocusStep = 0, focusStep = 0 } = this.options;
    if (probFocusStep > 0 && rng.random() < probFocusStep) return Math.min(L - 1, focusStep);
    return rng.random() < probGoFromEnd ? L - 1 : Math.min(L - 1, Math.floor(rng.random() * L));
  }

  private pickEpisode(u: number): number {
    const target = u * this.steps;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Batch arrays of `sample` (also filled by rollouts): [B, T, ...] each, `cell` values per observation. */
export interface WindowArrays {
  states: Float32Array;
  /** [B, T-1], pre-filled with the pad id */
  actions: Int32Array;
  rtgs: Float32Array;
  /** pre-filled with 0 */
  timesteps: Int32Array;
  /** [B, T], pre-filled with the pad id */
  targets: Int32Array;
  T: number;
  cell: number;
}

/** Step t of one episode: its observation (before acting), the action taken (the pad id if not yet) and its RTG. */
export interface StepSource {
  observation(t: number): ArrayLike<number>;
  action(t: number): number;
  rtg(t: number): number;
}

/**
 * Writes the window ending at step `end` into row b: steps end-T+1 .. end, the ones before the episode
 * start as padding (zero observation, pad action, first real RTG, timestep 0, no target). The action
 * of the last step is never an input (DTI drops it), only a target. Shared by training and rollouts.
 */
export function writeWindow(w: WindowArrays, b: number, end: number, src: StepSource): void {
  const { T, cell } = w;
  const first = end - T + 1;
  const firstRtg = src.rtg(Math.max(0, first));
  for (let k = 0; k < T; k++) {
    const t = first + k;
    const bt = b * T + k;
    if (t < 0) {
      w.rtgs[bt] = firstRtg;
      continue;
    }
    w.states.set(src.observation(t), bt * cell);
    w.rtgs[bt] = src.rtg(t);
    w.timesteps[bt] = t;
    w.targets[bt] = src.action(t);
    if (k < T - 1) w.actions[b * (T - 1) + k] = w.targets[bt];
  }
}

/** Suffix sums of rewards: the undiscounted return from each step on. */
export function returnsToGo(rewards: Float32Array): Float32Array {
  const out = new Float32Array(rewards.length);
  let acc = 0;
  for (let t = rewards.length - 1; t >= 0; t--) out[t] = acc += rewards[t];
  return out;
}

/** DTI `get_indices_of_top_p_trajectories`: highest returns first until pct of all steps is covered. */
export function topEpisodes(episodes: readonly Episode[], pct: number): Episode[] {
  if (pct >= 1) return [...episodes];
  const total = episodes.reduce((n, e) => n + e.actions.length, 0);
  const order = episodes
    .map((e, i) => ({ e, i, r: episodeReturn(e) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  const kept: Episode[] = [];
  let steps = 0;
  for (const { e } of order) {
    if (steps >= pct * total) break;
    kept.push(e);
    steps += e.actions.length;
  }
  return kept;
}
