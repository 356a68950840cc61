/**
 * Token variations: clean window -> corrupted window builders (`dti_spec.md` §5.4 "Patch by", plus the
 * roadmap's timestep variation and pairs of real rollouts). Windows are single DT inputs (batch 1):
 * states [1, T, X, Y, C] ([x][y][c] MiniGrid images, one-hot with 20 channels or dense with 3),
 * actions [1, T-1], rtgs [1, T], timesteps [1, T]. Steps index the window's timesteps (0 = oldest;
 * negative counts from the end).
 *
 * - `state`: DTI's State edit generalised: at (x, y) of the observation at `step`, set the object (and
 *   optionally colour and state). One-hot: the object's 11 channels are cleared and the chosen one set
 *   (DTI `get_updated_obs`; colour/state only when given). Dense: the channel value is written.
 * - `all-rtg`: every RTG = value (DTI "All RTG"); `rtg`: one RTG (DTI "Specific RTG").
 * - `action`: the action token at `step` (DTI "Action"; step < T-1).
 * - `timestep`: shift every timestep by `shift`, or set one (`step`, `value`).
 * Pairs of real rollouts (two env seeds, e.g. MemoryS7's instruction key vs ball): `envRolloutWindow`.
 */
import { DtlensError, check } from '../../errors.ts';
import { COLOR_IDX_NAMES, OBJECT_NAMES, STATE_NAMES } from '../../env/core/constants.ts';
import { makeDtiEnv } from '../../env/wrappers/makeDtiEnv.ts';
import { N_COLORS, N_OBJECTS, ONE_HOT_CHANNELS } from '../../env/wrappers/oneHot.ts';
import type { DTInputs } from '../../model/decisionTransformer.ts';
import { appendStep, initialHistory, windowInputs } from '../../session/history.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { resolveIndex } from '../dynamic/run.ts';

export interface StateEdit {
  step: number;
  x: number;
  y: number;
  /** Object name (`key`, `ball`, ...) or index. */
  object: string | number;
  color?: string | number;
  state?: string | number;
}

export type Variation =
  | { kind: 'state'; edits: StateEdit[] }
  | { kind: 'all-rtg'; value: number }
  | { kind: 'rtg'; step: number; value: number }
  | { kind: 'action'; step: number; action: number }
  | { kind: 'timestep'; shift: number }
  | { kind: 'timestep'; step: number; value: number };

export interface VariationLimits {
  /** Real actions are 0..nActions-1. */
  nActions: number;
  /** Largest timestep the model embeds (Infinity for a linear time embedding). */
  maxTimestep: number;
}

export interface CorruptedWindow {
  corrupted: DTInputs;
  /** True when the corrupted window equals the clean one (every patch would be a no-op). */
  identical: boolean;
  /** One line per change, e.g. "S5 (2,6): key -> ball". */
  changes: string[];
}

function indexOf(value: string | number, names: readonly string[], what: string): number {
  const i = typeof value === 'number' ? value : names.indexOf(value);
  check(
    Number.isInteger(i) && i >= 0 && i < names.length,
    'BAD_INPUT',
    () => `unknown ${what} '${value}' (use one of ${names.join(', ')})`,
  );
  return i;
}

function copyWindow(w: DTInputs): DTInputs {
  return {
    states: w.states.clone(),
    actions: w.actions ? w.actions.slice() : null,
    rtgs: w.rtgs.slice(),
    timesteps: w.timesteps.slice(),
  };
}

const sameValues = (a: ArrayLike<number> | null, b: ArrayLike<number> | null): boolean =>
  a === b || (a !== null && b !== null && a.length === b.length && Array.from(a).every((v, i) => v === b[i]));

/** True when two windows hold the same tokens' inputs. */
export function sameWindow(a: DTInputs, b: DTInputs): boolean {
  return (
    sameValues(a.states.data, b.states.data) &&
    sameValues(a.actions, b.actions) &&
    sameValues(a.rtgs, b.rtgs) &&
    sameValues(a.timesteps, b.timesteps)
  );
}

/** Applies the variations in order to a copy of the clean window. */
export function corruptWindow(
  clean: DTInputs,
  variations: readonly Variation[],
  limits: VariationLimits,
): CorruptedWindow {
  check(variations.length > 0, 'BAD_INPUT', 'no variation given (e.g. a state edit or --all-rtg)');
  check(
    clean.states.rank === 5 && clean.states.shape[0] === 1,
    'BAD_SHAPE',
    'variations apply to a single window',
  );
  const w = copyWindow(clean);
  const [, T, X, Y, C] = w.states.shape;
  const changes: string[] = [];
  const step = (s: number) => resolveIndex(s, T, 'step');
  for (const v of variations) {
    switch (v.kind) {
      case 'state':
        check(v.edits.length > 0, 'BAD_INPUT', 'a state variation needs at least one edit');
        for (const e of v.edits) changes.push(editState(w.states, step(e.step), e, [X, Y, C]));
        break;
      case 'all-rtg':
        check(Number.isFinite(v.value), 'BAD_INPUT', `RTG must be a finite number, got ${v.value}`);
        w.rtgs.fill(v.value);
        changes.push(`every RTG -> ${v.value}`);
        break;
      case 'rtg': {
        check(Number.isFinite(v.value), 'BAD_INPUT', `RTG must be a finite number, got ${v.value}`);
        const t = step(v.step);
        w.rtgs[t] = v.value;
        changes.push(`R${t + 1} -> ${v.value}`);
        break;
      }
      case 'action': {
        const Ta = w.actions?.length ?? 0;
        check(Ta > 0, 'BAD_INPUT', 'this window has no action tokens to change');
        const t = resolveIndex(v.step, Ta, 'action step');
        check(
          Number.isInteger(v.action) && v.action >= 0 && v.action < limits.nActions,
          'BAD_INPUT',
          () => `action ${v.action} is outside 0..${limits.nActions - 1}`,
        );
        changes.push(`A${t + 1}: ${w.actions![t]} -> ${v.action}`);
        w.actions![t] = v.action;
        break;
      }
      case 'timestep': {
        const setTs = (t: number, value: number) => {
          check(
            Number.isInteger(value) && value >= 0 && value <= limits.maxTimestep,
            'BAD_INPUT',
            () => `timestep ${value} is outside the time embedding's range 0..${limits.maxTimestep}`,
          );
          w.timesteps[t] = value;
        };
        if ('shift' in v) {
          check(Number.isInteger(v.shift), 'BAD_INPUT', `timestep shift must be an integer, got ${v.shift}`);
          for (let t = 0; t < T; t++) setTs(t, w.timesteps[t] + v.shift);
          changes.push(`every timestep ${v.shift >= 0 ? '+' : ''}${v.shift}`);
        } else {
          const t = step(v.step);
          setTs(t, v.value);
          changes.push(`timestep of step ${t + 1} -> ${v.value}`);
        }
        break;
      }
      default:
        throw new DtlensError('BAD_INPUT', `unknown variation ${JSON.stringify(v)}`);
    }
  }
  return { corrupted: w, identical: sameWindow(clean, w), changes };
}

/** One edit of a state cell; returns its description. */
function editState(states: Tensor, t: number, e: StateEdit, [X, Y, C]: readonly number[]): string {
  check(
    Number.isInteger(e.x) && Number.isInteger(e.y) && e.x >= 0 && e.x < X && e.y >= 0 && e.y < Y,
    'BAD_INPUT',
    () => `cell (${e.x},${e.y}) is outside the ${X}x${Y} observation`,
  );
  const obj = indexOf(e.object, OBJECT_NAMES, 'object');
  const color = e.color === undefined ? undefined : indexOf(e.color, COLOR_IDX_NAMES, 'colour');
  const state = e.state === undefined ? undefined : indexOf(e.state, STATE_NAMES, 'state');
  const base = (((t * X + e.x) * Y + e.y) * C) | 0;
  const d = states.data;
  let before: string;
  if (C === ONE_HOT_CHANNELS) {
    const set = (from: number, n: number, i: number) => {
      d.fill(0, base + from, base + from + n);
      d[base + from + i] = 1;
    };
    const was = Array.from(d.subarray(base, base + N_OBJECTS)).indexOf(1);
    before = was < 0 ? 'nothing' : OBJECT_NAMES[was];
    set(0, N_OBJECTS, obj);
    if (color !== undefined) set(N_OBJECTS, N_COLORS, color);
    if (state !== undefined) set(N_OBJECTS + N_COLORS, STATE_NAMES.length, state);
  } else if (C === 3) {
    before = OBJECT_NAMES[d[base]] ?? String(d[base]);
    d[base] = obj;
    if (color !== undefined) d[base + 1] = color;
    if (state !== undefined) d[base + 2] = state;
  } else {
    throw new DtlensError('UNSUPPORTED', `state edits need one-hot (20) or dense (3) channels, not ${C}`);
  }
  return `S${t + 1} (${e.x},${e.y}): ${before} -> ${OBJECT_NAMES[obj]}`;
}

export interface RolloutWindowRequest {
  envId: string;
  oneHotObs: boolean;
  seed: number;
  /** Actions taken from the reset (the window ends after the last one). */
  actions: readonly number[];
  /** Timesteps per window (`model.maxLen`). */
  maxLen: number;
  initialRtg: number;
}

/**
 * The window after playing `actions` from `reset(seed)` with DTI's bookkeeping (left padding, RTG =
 * initial − rewards so far). Two seeds give a pair of real rollouts, e.g. MemoryS7FixedStart seed 1
 * (instruction key) vs seed 0 (ball, same far layout): the golden pairA.
 */
export function envRolloutWindow(r: RolloutWindowRequest): DTInputs {
  const env = makeDtiEnv({ envId: r.envId, oneHotObs: r.oneHotObs });
  const obs = env.reset(r.seed);
  let h = initialHistory(obs.image, obs.shape, r.maxLen, env.nActions);
  for (const [i, a] of r.actions.entries()) {
    const s = env.step(a);
    h = appendStep(h, a, s.obs.image, s.reward);
    check(
      !(s.terminated || s.truncated) || i === r.actions.length - 1,
      'BAD_INPUT',
      () => `the episode of seed ${r.seed} ended after ${i + 1} of ${r.actions.length} actions`,
    );
  }
  return windowInputs(h, r.initialRtg);
}
