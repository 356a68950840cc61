/**
 * Datasets of windows: the model-input windows that dataset analyses (norms, kurtosis, head types) run
 * over, one per step of each episode. Built from the model's own rollouts (seeds × target RTGs, greedy
 * or epsilon; `src/train/rollout.ts`), or from episodes of a demonstration dataset (scripted expert via
 * `collect`, or a DTI trajectory file), windowed exactly as training does (`writeWindow`, RTG = the
 * episode's return-to-go). Stored as one safetensors file whose `inputs.*` tensors have the golden-file
 * layout (so `--input D --index i` works everywhere) plus per-window bookkeeping:
 *   inputs.states U8 [N,T,X,Y,C], inputs.actions I32 [N,T-1,1], inputs.rtgs F32 [N,T,1], inputs.timesteps I32 [N,T,1]
 *   windows.episode I32 [N], windows.step I32 [N] (the window's last step), windows.first_real I32 [N]
 *   (index of the first non-padding timestep of the window), windows.target_rtg F32 [N]
 * metadata `dtlens.windows` (JSON: version, n_actions, obs_shape, max_len, source) and `dtlens.env_config`.
 */
import { DtlensError, check } from '../../errors.ts';
import type { RawTensor } from '../../io/rawTensor.ts';
import { toFloat32 } from '../../io/rawTensor.ts';
import { readSafetensors, writeSafetensors } from '../../io/safetensors.ts';
import { type EnvConfig, envConfigToJson, parseEnvConfig } from '../../config/config.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { inputsFromTensors } from '../../model/inputs.ts';
import { Tensor } from '../../tensor/tensor.ts';
import type { Dataset } from '../../train/dataset.ts';
import { episodeSteps, rtgPlayOptions, rtgResult } from '../../train/rollout.ts';
import { type JobControl, runStepwise } from '../jobs.ts';
import { type WindowArrays, returnsToGo, writeWindow } from '../../train/sampler.ts';

export interface WindowDataset {
  env: EnvConfig;
  nActions: number;
  obsShape: readonly [number, number, number];
  /** Timesteps per window */
  maxLen: number;
  /** [N, T, ...] model inputs of every window */
  inputs: DTInputs;
  /** [N] episode index of each window */
  episode: Int32Array;
  /** [N] the episode step the window ends at */
  step: Int32Array;
  /** [N] first non-padding timestep index in the window (0 = no padding) */
  firstReal: Int32Array;
  /** [N] target RTG of the episode (rollouts) or its return (demonstrations) */
  targetRtg: Float32Array;
  source: Record<string, unknown>;
}

const META = 'dtlens.windows';
const ENV_META = 'dtlens.env_config';
const bad = (message: string) => new DtlensError('BAD_DATASET', message);

/** One window's arrays and bookkeeping. */
interface WindowRow {
  states: Float32Array;
  actions: Int32Array;
  rtgs: Float32Array;
  timesteps: Int32Array;
  episode: number;
  step: number;
  firstReal: number;
  target: number;
}

/** Collects windows row by row; `sorted()` orders them by episode, then step. */
class WindowCollector {
  private readonly rows: WindowRow[] = [];

  constructor(
    private readonly T: number,
    private readonly cell: number,
  ) {}

  /** Row b of a batch of window arrays. */
  add(w: WindowArrays, b: number, meta: { episode: number; step: number; target: number }): void {
    const { T, cell } = this;
    this.rows.push({
      states: w.states.slice(b * T * cell, (b + 1) * T * cell),
      actions: w.actions.slice(b * (T - 1), (b + 1) * (T - 1)),
      rtgs: w.rtgs.slice(b * T, (b + 1) * T),
      timesteps: w.timesteps.slice(b * T, (b + 1) * T),
      ...meta,
      firstReal: Math.max(0, T - 1 - meta.step),
    });
  }

  sorted(): WindowRow[] {
    check(this.rows.length > 0, 'BAD_INPUT', 'the dataset has no windows (no episodes were played)');
    return [...this.rows].sort((a, b) => a.episode - b.episode || a.step - b.step);
  }
}

function emptyWindows(T: number, cell: number, pad: number): WindowArrays {
  return {
    states: new Float32Array(T * cell),
    actions: new Int32Array(T - 1).fill(pad),
    rtgs: new Float32Array(T),
    timesteps: new Int32Array(T),
    targets: new Int32Array(T).fill(pad),
    T,
    cell,
  };
}

export interface RolloutWindowsOptions {
  env: EnvConfig;
  /** First seed; episode i plays seed `seed + i` */
  seed: number;
  episodes: number;
  rtgs: readonly number[];
  /** Random-action probability (default 0: greedy) */
  epsilon?: number;
  maxEpisodeSteps?: number;
}

/**
 * The windows the model sees while playing `episodes` seeds at each target RTG. Progress is in episode
 * steps: `done` of `total` = RTGs × step cap (the episodes of one RTG play side by side; an RTG whose
 * episodes all end early jumps to its end); `control` is checked and yielded to after every step.
 */
export async function windowsFromRollouts(
  model: DecisionTransformer,
  o: RolloutWindowsOptions,
  control?: JobControl,
): Promise<WindowDataset> {
  check(o.rtgs.length > 0 && o.episodes > 0, 'BAD_INPUT', 'give at least one seed and one RTG');
  for (const r of o.rtgs) check(Number.isFinite(r), 'BAD_INPUT', `target RTG ${r} is not a number`);
  const T = model.maxLen;
  check(T > 1, 'UNSUPPORTED', 'window datasets need models with action tokens (n_ctx > 2)');
  const [X, Y, C] = model.arch.obsShape;
  const windows = new WindowCollector(T, X * Y * C);
  const success: number[] = [];
  const cap = o.maxEpisodeSteps ?? o.env.maxSteps;
  const total = o.rtgs.length * cap;
  for (const [r, rtg] of o.rtgs.entries()) {
    const play = rtgPlayOptions(rtg, {
      env: o.env,
      episodes: o.episodes,
      seed: o.seed,
      epsilon: o.epsilon ?? 0,
      maxEpisodeSteps: o.maxEpisodeSteps,
      onWindows: (w, episodes, step) => {
        episodes.forEach((e, b) => windows.add(w, b, { episode: r * o.episodes + e, step, target: rtg }));
        control?.onProgress?.(r * cap + Math.min(step + 1, cap), total);
      },
    });
    success.push(rtgResult(rtg, await runStepwise(episodeSteps(model, play), control)).successRate);
    control?.onProgress?.((r + 1) * cap, total);
  }
  return finish(windows, model.arch.nActions, [X, Y, C], T, o.env, {
    kind: 'rollouts',
    seed: o.seed,
    episodes: o.episodes,
    rtgs: o.rtgs,
    epsilon: o.epsilon ?? 0,
    success_rate_by_rtg: success,
  });
}

/**
 * Every step's window of the episodes of a demonstration dataset (expert or DTI file), RTG =
 * return-to-go; with `keep`, only the windows it accepts (by episode index and step).
 */
export function windowsFromEpisodes(
  ds: Dataset,
  maxLen: number,
  keep?: (episode: number, step: number) => boolean,
): WindowDataset {
  check(maxLen > 1, 'UNSUPPORTED', 'window datasets need models with action tokens (n_ctx > 2)');
  const [X, Y, C] = ds.obsShape;
  const cell = X * Y * C;
  const windows = new WindowCollector(maxLen, cell);
  ds.episodes.forEach((e, i) => {
    const rtg = returnsToGo(e.rewards);
    for (let step = 0; step < e.actions.length; step++) {
      if (keep && !keep(i, step)) continue;
      const w = emptyWindows(maxLen, cell, ds.nActions);
      writeWindow(w, 0, step, {
        observation: (t) => e.observations.subarray(t * cell, (t + 1) * cell),
        action: (t) => e.actions[t],
        rtg: (t) => rtg[t],
      });
      windows.add(w, 0, { episode: i, step, target: rtg[0] });
    }
  });
  return finish(windows, ds.nActions, ds.obsShape, maxLen, ds.env, { kind: 'episodes', ...ds.source });
}

function finish(
  windows: WindowCollector,
  nActions: number,
  obsShape: readonly [number, number, number],
  maxLen: number,
  env: EnvConfig,
  source: Record<string, unknown>,
): WindowDataset {
  const rows = windows.sorted();
  const N = rows.length;
  const cat = <A extends Float32Array | Int32Array>(parts: A[], out: A): A => {
    parts.forEach((p, i) => out.set(p, i * p.length));
    return out;
  };
  const T = maxLen;
  return {
    env,
    nActions,
    obsShape,
    maxLen,
    inputs: {
      states: new Tensor(
        cat(
          rows.map((r) => r.states),
          new Float32Array(N * rows[0].states.length),
        ),
        [N, T, ...obsShape],
      ),
      actions: cat(
        rows.map((r) => r.actions),
        new Int32Array(N * (T - 1)),
      ),
      rtgs: cat(
        rows.map((r) => r.rtgs),
        new Float32Array(N * T),
      ),
      timesteps: cat(
        rows.map((r) => r.timesteps),
        new Int32Array(N * T),
      ),
    },
    episode: Int32Array.from(rows, (x) => x.episode),
    step: Int32Array.from(rows, (x) => x.step),
    firstReal: Int32Array.from(rows, (x) => x.firstReal),
    targetRtg: Float32Array.from(rows, (x) => x.target),
    source,
  };
}

export function writeWindowDataset(ds: WindowDataset): Uint8Array {
  const { inputs } = ds;
  const [N, T] = inputs.states.shape;
  const states = Uint8Array.from(inputs.states.data);
  const tensors: Record<string, RawTensor> = {
    'inputs.states': { dtype: 'U8', shape: [...inputs.states.shape], data: states },
    'inputs.actions': { dtype: 'I32', shape: [N, T - 1, 1], data: Int32Array.from(inputs.actions!) },
    'inputs.rtgs': { dtype: 'F32', shape: [N, T, 1], data: inputs.rtgs },
    'inputs.timesteps': { dtype: 'I32', shape: [N, T, 1], data: Int32Array.from(inputs.timesteps) },
    'windows.episode': { dtype: 'I32', shape: [N], data: ds.episode },
    'windows.step': { dtype: 'I32', shape: [N], data: ds.step },
    'windows.first_real': { dtype: 'I32', shape: [N], data: ds.firstReal },
    'windows.target_rtg': { dtype: 'F32', shape: [N], data: ds.targetRtg },
  };
  return writeSafetensors(tensors, {
    [META]: JSON.stringify({
      version: 1,
      n_actions: ds.nActions,
      obs_shape: ds.obsShape,
      max_len: ds.maxLen,
      source: ds.source,
    }),
    [ENV_META]: JSON.stringify(envConfigToJson(ds.env)),
  });
}

/** Reads and validates a window dataset file (BAD_DATASET naming what is wrong). */
export function readWindowDataset(bytes: Uint8Array): WindowDataset {
  const { tensors, metadata } = readSafetensors(bytes);
  let meta: { n_actions?: unknown; obs_shape?: unknown; max_len?: unknown; source?: unknown } | null;
  try {
    meta = JSON.parse(metadata[META] ?? 'null');
  } catch {
    throw bad('window dataset metadata is not valid JSON');
  }
  if (!meta)
    throw bad('not a dtlens window dataset (no dtlens.windows metadata; make one with dtlens dataset)');
  const nActions = meta.n_actions as number;
  const obsShape = meta.obs_shape as [number, number, number];
  const maxLen = meta.max_len as number;
  check(Number.isInteger(nActions) && nActions > 0, 'BAD_DATASET', 'n_actions must be a positive integer');
  check(
    Array.isArray(obsShape) && obsShape.length === 3 && obsShape.every((s) => Number.isInteger(s) && s > 0),
    'BAD_DATASET',
    'obs_shape must be three positive integers',
  );
  check(Number.isInteger(maxLen) && maxLen > 1, 'BAD_DATASET', 'max_len must be an integer > 1');
  let inputs: DTInputs;
  try {
    inputs = inputsFromTensors(tensors, 'inputs.');
  } catch (e) {
    throw e instanceof DtlensError ? bad(e.message) : e;
  }
  const [N, T, ...obs] = inputs.states.shape;
  check(N > 0, 'BAD_DATASET', 'the dataset has no windows');
  check(T === maxLen, 'BAD_DATASET', `windows have ${T} timesteps, metadata says ${maxLen}`);
  check(
    obs.every((s, i) => s === obsShape[i]),
    'BAD_DATASET',
    'inputs.states do not match obs_shape',
  );
  check(inputs.actions?.length === N * (T - 1), 'BAD_DATASET', `inputs.actions must be [${N}, ${T - 1}, 1]`);
  for (const a of inputs.actions!)
    check(
      a >= 0 && a <= nActions,
      'BAD_DATASET',
      `action ${a} is outside 0..${nActions} (${nActions} = padding)`,
    );
  for (const t of inputs.timesteps) check(t >= 0, 'BAD_DATASET', `timestep ${t} is negative`);
  for (const r of inputs.rtgs) check(Number.isFinite(r), 'BAD_DATASET', 'rtgs must be finite');
  const perWindow = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw bad(`dataset has no "${name}" tensor`);
    check(t.shape.length === 1 && t.shape[0] === N, 'BAD_DATASET', `"${name}" must have shape [${N}]`);
    return toFloat32(t);
  };
  const firstReal = Int32Array.from(perWindow('windows.first_real'));
  for (const f of firstReal)
    check(f >= 0 && f < T, 'BAD_DATASET', `windows.first_real ${f} is outside 0..${T - 1}`);
  return {
    env: parseEnvConfig(JSON.parse(metadata[ENV_META] ?? '{}')),
    nActions,
    obsShape,
    maxLen,
    inputs,
    episode: Int32Array.from(perWindow('windows.episode')),
    step: Int32Array.from(perWindow('windows.step')),
    firstReal,
    targetRtg: perWindow('windows.target_rtg'),
    source: (meta.source as Record<string, unknown>) ?? {},
  };
}

/**
 * Throws BAD_DATASET unless the dataset's windows fit the model (observation shape, actions, window
 * length) and, given the model's env id, were recorded in that env.
 */
export function checkDatasetFits(
  model: Pick<DecisionTransformer, 'arch' | 'maxLen'>,
  ds: WindowDataset,
  envId?: string,
): void {
  check(
    envId === undefined || ds.env.envId === envId,
    'BAD_DATASET',
    `the dataset was recorded in ${ds.env.envId}, the model plays ${envId}`,
  );
  const { obsShape, nActions } = model.arch;
  check(
    ds.obsShape.join() === obsShape.join() && ds.nActions === nActions && ds.maxLen === model.maxLen,
    'BAD_DATASET',
    `the dataset's windows (obs ${ds.obsShape.join('x')}, ${ds.nActions} actions, ${ds.maxLen} timesteps) do not fit ` +
      `this model (obs ${obsShape.join('x')}, ${nActions} actions, ${model.maxLen} timesteps): a dataset of another model's shape`,
  );
}
