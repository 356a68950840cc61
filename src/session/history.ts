/**
 * DTI's app bookkeeping (`dti_spec.md` §5.0, §8 items 6-7, 19): the unbounded session history, left
 * padded from the first step, and the window fed to the model. Pure data, no env or model.
 */
import { check } from '../errors.ts';
import type { DTInputs } from '../model/decisionTransformer.ts';
import { Tensor } from '../tensor/tensor.ts';

/**
 * Token layout of the window: `dti` = DTI HEAD's `[R1, S1, A1, ..., R_T, S_T]`, left padded to maxLen;
 * `legacy` = the DTI@5367db3 app: one timestep `[R_t, S_t, A_prev]` (A_prev = 0 before the first step).
 */
export type WindowLayout = 'dti' | 'legacy';

/** The whole session so far, padding included (index 0 = oldest). */
export interface History {
  layout: WindowLayout;
  /** Timesteps per window (`1 + floor(nCtx / 3)`). */
  maxLen: number;
  /** Observation shape [X, Y, C]. */
  obsShape: readonly [number, number, number];
  /** Pad action id (= nActions). */
  padAction: number;
  /** One observation per timestep: maxLen - 1 zero images, then the real ones. */
  obs: Uint8Array[];
  /** maxLen - 1 pad actions, then one per step: always obs.length - 1 entries. */
  actions: number[];
  /** One reward per timestep (0 for padding and for the initial observation). */
  rewards: number[];
  /** One timestep per observation (0 for padding). */
  timesteps: number[];
}

/** DTI `initialize_padding_inputs`: maxLen - 1 padded timesteps, then the reset observation. */
export function initialHistory(
  firstObs: Uint8Array,
  obsShape: readonly [number, number, number],
  maxLen: number,
  nActions: number,
  layout: WindowLayout = 'dti',
): History {
  check(layout === 'dti' || maxLen === 1, 'BAD_INPUT', `the legacy layout has one timestep, not ${maxLen}`);
  check(
    Number.isInteger(maxLen) && maxLen >= 1,
    'BAD_INPUT',
    `maxLen must be a positive integer, got ${maxLen}`,
  );
  const [X, Y, C] = obsShape;
  check(
    firstObs.length === X * Y * C,
    'BAD_SHAPE',
    `observation has ${firstObs.length} values, expected ${X}x${Y}x${C}`,
  );
  const pad = maxLen - 1;
  return {
    layout,
    maxLen,
    obsShape,
    padAction: nActions,
    obs: [...Array.from({ length: pad }, () => new Uint8Array(firstObs.length)), firstObs.slice()],
    actions: new Array<number>(pad).fill(nActions),
    rewards: new Array<number>(maxLen).fill(0),
    timesteps: new Array<number>(maxLen).fill(0),
  };
}

/** DTI `respond_to_action`: appends the action taken and what it led to (timestep = previous + 1). */
export function appendStep(h: History, action: number, obs: Uint8Array, reward: number): History {
  check(
    Number.isInteger(action) && action >= 0 && action < h.padAction,
    'BAD_INPUT',
    `action ${action} is outside 0..${h.padAction - 1}`,
  );
  check(obs.length === h.obs[0].length, 'BAD_SHAPE', `observation has ${obs.length} values`);
  return {
    ...h,
    obs: [...h.obs, obs.slice()],
    actions: [...h.actions, action],
    rewards: [...h.rewards, reward],
    timesteps: [...h.timesteps, h.timesteps[h.timesteps.length - 1] + 1],
  };
}

/** Returns-to-go of every timestep: `initialRtg - cumsum(rewards)` in float64 (the slider re-targets all). */
export function returnsToGo(h: Pick<History, 'rewards'>, initialRtg: number): number[] {
  let total = 0;
  return h.rewards.map((r) => initialRtg - (total += r));
}

/** Real (non-padding) steps taken so far. */
export const stepsTaken = (h: History): number => h.obs.length - h.maxLen;

/**
 * The model input for the last `maxLen` timesteps (batch 1): states [1, T, X, Y, C], rtgs and
 * timesteps [1, T], and actions [1, T-1] only if `actions.length > 1 && maxLen > 1` (DTI's
 * `preprocess_inputs`), else null (no action tokens, as for n_ctx = 2 models). The legacy layout
 * gives actions [1, 1] = the previous action (0 before the first step).
 */
export function windowInputs(h: History, initialRtg: number): DTInputs {
  const T = h.maxLen;
  const [X, Y, C] = h.obsShape;
  const n = X * Y * C;
  const first = h.obs.length - T;
  const states = new Float32Array(T * n);
  for (let t = 0; t < T; t++) states.set(h.obs[first + t], t * n);
  const rtg = returnsToGo(h, initialRtg);
  const useActions = h.actions.length > 1 && T > 1;
  const actions =
    h.layout === 'legacy'
      ? Int32Array.of(h.actions[h.actions.length - 1] ?? 0)
      : useActions
        ? Int32Array.from(h.actions.slice(-(T - 1)))
        : null;
  return {
    states: new Tensor(states, [1, T, X, Y, C]),
    actions,
    rtgs: Float32Array.from(rtg.slice(first)),
    timesteps: Int32Array.from(h.timesteps.slice(first)),
  };
}

/**
 * Token label of each real frame (index 0 = the reset observation) inside the current window:
 * `S{maxLen}` for the newest, counting down; frames that fell out of the window get null.
 * This is DTI's history mapping with its reversed order fixed (`dti_spec.md` §9 quirk 8).
 */
export function frameTokenLabels(h: History): (string | null)[] {
  const frames = h.obs.length - (h.maxLen - 1);
  return Array.from({ length: frames }, (_, i) => {
    const fromNewest = frames - 1 - i;
    return fromNewest < h.maxLen ? `S${h.maxLen - fromNewest}` : null;
  });
}
