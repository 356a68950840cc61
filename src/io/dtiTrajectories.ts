/**
 * DTI trajectory files (`src/utils/trajectory_writer.py`): a pickle of
 * `{"data": {observations, actions, rewards, dones, truncated, rtgs, infos}, "metadata": {"args", "time"}}`
 * with numpy arrays indexed `[t, env]` (time-major, vectorised envs), raw (`.pkl`), gzip or xz compressed.
 * `splitTrajectories` cuts them into episodes exactly like DTI's `TrajectoryDataset`.
 */
import { DtlensError } from '../errors.ts';
import { gunzipBounded } from './inflate.ts';
import { DECOMPRESSION_FACTOR, MAX_DECOMPRESSED_BYTES, derivedBudget } from './limits.ts';
import { NumpyArray, numpyGlobals } from './numpy.ts';
import { numel, toFloat32, toInt32Checked, type RawTensor } from './rawTensor.ts';
import { unpickle } from './unpickle.ts';
import { isXz, xzDecompress } from './xz.ts';

export type ObservationType = 'index' | 'one_hot';

export interface DtiTrajectoryFile {
  /** [T, nEnvs, X, Y, C] as stored (float64 in DTI files). */
  observations: RawTensor;
  /** [T, nEnvs] */
  actions: RawTensor;
  /** [T, nEnvs] */
  rewards: RawTensor;
  /** [T, nEnvs] terminated after this step. */
  dones: RawTensor;
  /** [T, nEnvs] truncated after this step (the writer forces the last row to true). */
  truncated: RawTensor;
  /** Often empty in DTI files; null when absent. */
  rtgs: RawTensor | null;
  /** Per-step gymnasium info dicts, kept opaque (unpickled values); null when absent. */
  infos: unknown[] | null;
  /** `metadata.args` (a dict, or a JSON string in some files) as plain JS data, and `metadata.time`. */
  metadata: { args: unknown; time: number | null };
  nSteps: number;
  nEnvs: number;
  obsShape: [number, number, number];
  /** 'index' for 3 channels, 'one_hot' for 20 (DTI `TrajectoryDataset.observation_type`). */
  observationType: ObservationType;
}

/** One episode, as DTI's `TrajectoryDataset` holds it. */
export interface DtiTrajectory {
  /** Env index and time step of the first step in the file. */
  env: number;
  startStep: number;
  length: number;
  /** [length, X, Y, C] float32. */
  observations: Float32Array;
  actions: Int32Array;
  rewards: Float64Array;
  dones: Uint8Array;
  truncated: Uint8Array;
  /** 0 .. length - 1. */
  timesteps: Int32Array;
  /** Sum of rewards. */
  returns: number;
}

const bad = (message: string) => new DtlensError('BAD_DATASET', `invalid DTI trajectory file: ${message}`);

/**
 * Reads a DTI trajectory file, detecting xz / gzip / raw pickle from its bytes. Decompressed data may
 * reach `DECOMPRESSION_FACTOR` x the file plus a fixed allowance, at most `MAX_DECOMPRESSED_BYTES`
 * (or `maxBytes`); decoding stops at the limit, whatever size the file declares.
 */
export async function readDtiTrajectories(
  bytes: Uint8Array,
  maxBytes = derivedBudget(bytes.length, DECOMPRESSION_FACTOR, MAX_DECOMPRESSED_BYTES),
): Promise<DtiTrajectoryFile> {
  if (isXz(bytes)) return parseDtiTrajectoryPickle(await xzDecompress(bytes, maxBytes));
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)
    return parseDtiTrajectoryPickle(gunzipBounded(bytes, maxBytes, 'BAD_DATASET'));
  return parseDtiTrajectoryPickle(bytes);
}

/**
 * Converts unpickled values to plain JS: string-keyed dicts to objects, numpy arrays to tensors / lists.
 * The unpickler has bounded the size and depth of the structure, so this recursion is bounded too.
 * Integers beyond 2^53 become decimal strings.
 */
function toPlain(value: unknown): unknown {
  if (value instanceof NumpyArray) return value.tensor ?? value.objects?.map(toPlain);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map)
    return Object.fromEntries(
      [...value].map(([k, v]) => [
        typeof k === 'string' || typeof k === 'number' ? String(k) : `<${typeof k}>`,
        toPlain(v),
      ]),
    );
  if (value instanceof Set) return [...value].map(toPlain);
  return typeof value === 'bigint' ? String(value) : value; // JSON cannot hold a bigint
}

function field(d: Map<unknown, unknown>, key: string, required: true): NumpyArray;
function field(d: Map<unknown, unknown>, key: string, required: false): NumpyArray | null;
function field(d: Map<unknown, unknown>, key: string, required: boolean): NumpyArray | null {
  const v = d.get(key);
  if (v === undefined && !required) return null;
  if (!(v instanceof NumpyArray))
    throw bad(`data.${key} is ${v === undefined ? 'missing' : 'not a numpy array'}`);
  return v;
}

function numeric(a: NumpyArray, key: string, shape: number[]): RawTensor {
  if (!a.tensor) throw bad(`data.${key} is an object array`);
  const s = a.tensor.shape;
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i]))
    throw bad(`data.${key} has shape [${s.join(', ')}], expected [${shape.join(', ')}]`);
  return a.tensor;
}

/** Parses the (decompressed) pickle of a DTI trajectory file. */
export function parseDtiTrajectoryPickle(pickle: Uint8Array): DtiTrajectoryFile {
  const root = unpickle(pickle, { globals: numpyGlobals() });
  if (!(root instanceof Map) || !(root.get('data') instanceof Map))
    throw bad('expected a dict with a "data" dict');
  const data = root.get('data') as Map<unknown, unknown>;
  const obs = field(data, 'observations', true).tensor;
  if (!obs || obs.shape.length !== 5) throw bad('data.observations is not a [T, n_envs, X, Y, C] array');
  const [nSteps, nEnvs, X, Y, C] = obs.shape;
  if (C !== 3 && C !== 20) throw bad(`observations have ${C} channels; expected 3 (index) or 20 (one-hot)`);
  const steps = [nSteps, nEnvs];
  const rtgsArray = field(data, 'rtgs', false);
  const infosArray = field(data, 'infos', false);
  const meta = root.get('metadata');
  const metadata = meta instanceof Map ? meta : new Map();
  let args = toPlain(metadata.get('args') ?? null);
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      // Kept as the raw string: DTI stores either a dict or a JSON string here.
    }
  }
  const time = metadata.get('time');
  return {
    observations: obs,
    actions: numeric(field(data, 'actions', true), 'actions', steps),
    rewards: numeric(field(data, 'rewards', true), 'rewards', steps),
    dones: numeric(field(data, 'dones', true), 'dones', steps),
    truncated: numeric(field(data, 'truncated', true), 'truncated', steps),
    rtgs: rtgsArray?.tensor ?? null,
    infos: infosArray ? (infosArray.objects?.map(toPlain) ?? null) : null,
    metadata: { args, time: typeof time === 'number' ? time : null },
    nSteps,
    nEnvs,
    obsShape: [X, Y, C],
    observationType: C === 3 ? 'index' : 'one_hot',
  };
}

const at = (t: RawTensor, i: number): number => Number(t.data[i]);

/**
 * Episodes of a trajectory file, as DTI's `TrajectoryDataset` builds them: flatten env-major
 * (`t b ... -> (b t) ...`), split after every step with `done | truncated`, drop empty pieces.
 * (Like DTI, a tail without a final done/truncated runs on into the next env's steps.)
 */
export function splitTrajectories(file: DtiTrajectoryFile): DtiTrajectory[] {
  const { nSteps: T, nEnvs: N, obsShape } = file;
  const cell = numel(obsShape);
  const obs = toFloat32(file.observations);
  const actions = toInt32Checked(file.actions, 'data.actions');
  const out: DtiTrajectory[] = [];
  let piece: number[] = [];
  const flush = () => {
    if (piece.length === 0) return;
    const L = piece.length;
    const traj: DtiTrajectory = {
      env: piece[0] % N,
      startStep: Math.floor(piece[0] / N),
      length: L,
      observations: new Float32Array(L * cell),
      actions: new Int32Array(L),
      rewards: new Float64Array(L),
      dones: new Uint8Array(L),
      truncated: new Uint8Array(L),
      timesteps: Int32Array.from({ length: L }, (_, i) => i),
      returns: 0,
    };
    piece.forEach((src, i) => {
      traj.observations.set(obs.subarray(src * cell, (src + 1) * cell), i * cell);
      traj.actions[i] = actions[src];
      traj.rewards[i] = at(file.rewards, src);
      traj.dones[i] = at(file.dones, src) ? 1 : 0;
      traj.truncated[i] = at(file.truncated, src) ? 1 : 0;
      traj.returns += traj.rewards[i];
    });
    out.push(traj);
    piece = [];
  };
  for (let b = 0; b < N; b++)
    for (let t = 0; t < T; t++) {
      const src = t * N + b; // row-major index of [t, b]
      piece.push(src);
      if (at(file.dones, src) || at(file.truncated, src)) flush();
    }
  flush();
  return out;
}
