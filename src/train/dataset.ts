/**
 * The dtlens demonstration dataset: episodes of MiniGrid observations, actions and rewards, stored as one
 * safetensors file (format in docs/training.md):
 *   observations U8 [N, X, Y, C]   (MiniGrid [x][y][c] images, one row per step, before acting)
 *   actions      I32 [N]           (action taken at that step)
 *   rewards      F32 [N]           (reward received for it)
 *   terminated   BOOL [N], truncated BOOL [N]   (episode ended after this step)
 *   episode_starts I32 [E]        (index of each episode's first step; episodes are contiguous, in order)
 * metadata: `dtlens.dataset` (JSON: version, n_actions, obs_shape, source) and `dtlens.env_config`.
 */
import { DtlensError, check } from '../errors.ts';
import type { DtiTrajectoryFile } from '../io/dtiTrajectories.ts';
import { splitTrajectories } from '../io/dtiTrajectories.ts';
import { type RawTensor, toFloat32 } from '../io/rawTensor.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { DEFAULT_ENV_CONFIG, envConfigToJson, parseEnvConfig, type EnvConfig } from '../config/config.ts';

export interface Episode {
  /** [L, X, Y, C] */
  observations: Uint8Array;
  actions: Int32Array;
  rewards: Float32Array;
  /** The last step ended the episode by termination (false: truncated or cut off). */
  terminated: boolean;
  truncated: boolean;
}

export interface Dataset {
  env: EnvConfig;
  nActions: number;
  obsShape: [number, number, number];
  episodes: Episode[];
  /** Where the data came from (collect options, or the DTI file's metadata). */
  source: Record<string, unknown>;
}

const DATASET_META = 'dtlens.dataset';
const ENV_META = 'dtlens.env_config';
const bad = (message: string) => new DtlensError('BAD_DATASET', message);

export const episodeReturn = (e: Episode): number => e.rewards.reduce((a, r) => a + r, 0);

export function writeDataset(ds: Dataset): Uint8Array {
  const N = ds.episodes.reduce((n, e) => n + e.actions.length, 0);
  const cell = ds.obsShape[0] * ds.obsShape[1] * ds.obsShape[2];
  const observations = new Uint8Array(N * cell);
  const actions = new Int32Array(N);
  const rewards = new Float32Array(N);
  const terminated = new Uint8Array(N);
  const truncated = new Uint8Array(N);
  const starts = new Int32Array(ds.episodes.length);
  let o = 0;
  ds.episodes.forEach((e, i) => {
    const L = e.actions.length;
    starts[i] = o;
    observations.set(e.observations, o * cell);
    actions.set(e.actions, o);
    rewards.set(e.rewards, o);
    terminated[o + L - 1] = e.terminated ? 1 : 0;
    truncated[o + L - 1] = e.truncated ? 1 : 0;
    o += L;
  });
  const tensors: Record<string, RawTensor> = {
    observations: { dtype: 'U8', shape: [N, ...ds.obsShape], data: observations },
    actions: { dtype: 'I32', shape: [N], data: actions },
    rewards: { dtype: 'F32', shape: [N], data: rewards },
    terminated: { dtype: 'BOOL', shape: [N], data: terminated },
    truncated: { dtype: 'BOOL', shape: [N], data: truncated },
    episode_starts: { dtype: 'I32', shape: [ds.episodes.length], data: starts },
  };
  return writeSafetensors(tensors, {
    [DATASET_META]: JSON.stringify({
      version: 1,
      n_actions: ds.nActions,
      obs_shape: ds.obsShape,
      source: ds.source,
    }),
    [ENV_META]: JSON.stringify(envConfigToJson(ds.env)),
  });
}

export function readDataset(bytes: Uint8Array): Dataset {
  const { tensors, metadata } = readSafetensors(bytes);
  let meta: { n_actions?: unknown; obs_shape?: unknown; source?: unknown };
  let envJson: unknown;
  try {
    meta =
      JSON.parse(metadata[DATASET_META] ?? 'null') ??
      bad('not a dtlens dataset (no dtlens.dataset metadata)');
    envJson = JSON.parse(metadata[ENV_META] ?? 'null');
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw bad('dataset metadata is not valid JSON');
  }
  if (meta === undefined || meta === null) throw bad('not a dtlens dataset');
  const nActions = meta.n_actions;
  check(
    Number.isInteger(nActions) && (nActions as number) > 0,
    'BAD_DATASET',
    'n_actions must be a positive integer',
  );
  const obsShape = meta.obs_shape;
  check(
    Array.isArray(obsShape) && obsShape.length === 3 && obsShape.every((s) => Number.isInteger(s) && s > 0),
    'BAD_DATASET',
    'obs_shape must be three positive integers',
  );
  const need = (name: string, rank: number): RawTensor => {
    const t = tensors.get(name);
    if (!t) throw bad(`dataset has no "${name}" tensor`);
    check(t.shape.length === rank, 'BAD_DATASET', `"${name}" must have rank ${rank}`);
    return t;
  };
  const obs = need('observations', 4);
  const N = obs.shape[0];
  check(obs.dtype === 'U8', 'BAD_DATASET', 'observations must be U8');
  check(
    obs.shape.slice(1).every((s, i) => s === (obsShape as number[])[i]),
    'BAD_DATASET',
    'observations do not match obs_shape',
  );
  const vec = (name: string) => {
    const t = need(name, 1);
    check(t.shape[0] === N, 'BAD_DATASET', `"${name}" must have ${N} entries`);
    return toFloat32(t);
  };
  const actions = vec('actions');
  const rewards = vec('rewards');
  const terminated = vec('terminated');
  const truncated = vec('truncated');
  const startsT = need('episode_starts', 1);
  const starts = toFloat32(startsT);
  for (const a of actions)
    check(
      Number.isInteger(a) && a >= 0 && a < (nActions as number),
      'BAD_DATASET',
      `action ${a} outside 0..${(nActions as number) - 1}`,
    );
  for (const r of rewards) check(Number.isFinite(r), 'BAD_DATASET', 'rewards must be finite');
  check(starts.length > 0 ? starts[0] === 0 : N === 0, 'BAD_DATASET', 'episode_starts must begin at 0');
  for (let i = 1; i < starts.length; i++)
    check(
      starts[i] > starts[i - 1] && starts[i] < N,
      'BAD_DATASET',
      'episode_starts must increase strictly within the steps',
    );
  const cell = obs.shape[1] * obs.shape[2] * obs.shape[3];
  const episodes: Episode[] = Array.from(starts, (s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] : N;
    return {
      observations: (obs.data as Uint8Array).slice(s * cell, end * cell),
      actions: Int32Array.from(actions.subarray(s, end)),
      rewards: Float32Array.from(rewards.subarray(s, end)),
      terminated: terminated[end - 1] !== 0,
      truncated: truncated[end - 1] !== 0,
    };
  });
  return {
    env: parseEnvConfig(envJson ?? {}),
    nActions: nActions as number,
    obsShape: obsShape as [number, number, number],
    episodes,
    source: (meta.source as Record<string, unknown>) ?? {},
  };
}

/**
 * A DTI trajectory file as a dataset (episodes split like DTI's `TrajectoryDataset`). The env config
 * comes from `metadata.args` (env_id, one_hot_obs, max_steps, view_size); `nActions` from the caller.
 */
export function datasetFromDti(file: DtiTrajectoryFile, nActions: number): Dataset {
  const args = typeof file.metadata.args === 'string' ? safeJson(file.metadata.args) : file.metadata.args;
  const a = (args && typeof args === 'object' ? args : {}) as Record<string, unknown>;
  const env: EnvConfig = {
    ...DEFAULT_ENV_CONFIG,
    ...(typeof a.env_id === 'string' ? { envId: a.env_id } : {}),
    oneHotObs: file.observationType === 'one_hot',
    ...(Number.isInteger(a.max_steps) && (a.max_steps as number) > 0
      ? { maxSteps: a.max_steps as number }
      : {}),
    ...(Number.isInteger(a.view_size) ? { viewSize: a.view_size as number } : { viewSize: file.obsShape[0] }),
  };
  const episodes = splitTrajectories(file).map((t): Episode => {
    const observations = new Uint8Array(t.observations.length);
    for (let i = 0; i < observations.length; i++) {
      const v = t.observations[i];
      check(
        Number.isInteger(v) && v >= 0 && v < 256,
        'BAD_DATASET',
        `observation value ${v} is not a MiniGrid code`,
      );
      observations[i] = v;
    }
    return {
      observations,
      actions: t.actions,
      rewards: Float32Array.from(t.rewards),
      terminated: t.dones[t.length - 1] === 1,
      truncated: t.truncated[t.length - 1] === 1 && t.dones[t.length - 1] !== 1,
    };
  });
  for (const e of episodes)
    for (const act of e.actions)
      check(
        act >= 0 && act < nActions,
        'BAD_DATASET',
        `action ${act} outside 0..${nActions - 1} for ${env.envId}`,
      );
  return { env, nActions, obsShape: file.obsShape, episodes, source: { dti_metadata: a } };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return {};
  }
}
