/**
 * The well-formed files the fuzzer mutates: generated small models (DTI torch and dtlens safetensors),
 * input windows and DTI trajectory files, plus the real checkpoints of ../shared/models and the golden
 * DTI trajectory fixture where present. Everything is generated from seeds; nothing binary is committed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvConfig, parseModelConfig } from '../../src/config/config.ts';
import { expectedStateDict, saveNativeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import type { RawTensor } from '../../src/io/rawTensor.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { dtiTorchCheckpoint, dtiTrajectoryFile, type TrajectoryColumns } from '../support/pickleWriter.ts';
import { seededRandom } from '../support/randomModel.ts';
import { xzFile } from '../support/xzWriter.ts';
import { SHARED_DIR } from '../support/shared.ts';

/** What a file is loaded as. */
export type Target = 'checkpoint' | 'inputs' | 'trajectory';

export interface Base {
  name: string;
  target: Target;
  bytes: Uint8Array;
  /** The format checks every byte (zip CRC-32, gzip/xz checks): a mutation must fail or change nothing. */
  checksummed: boolean;
}

/** DTI snake_case configs of a tiny model: 1 layer, d_model 8, 3x3 index observations, 3 actions. */
export const TINY_MODEL_CONFIG = {
  ...{ d_model: 8, n_heads: 2, d_mlp: 16, n_layers: 1, n_ctx: 8, layer_norm: 'LN' },
  ...{
    gated_mlp: false,
    activation_fn: 'relu',
    state_embedding_type: 'grid',
    time_embedding_type: 'embedding',
  },
};
export const TINY_ENV_CONFIG = { env_id: 'MiniGrid-Dynamic-Obstacles-8x8-v0', max_steps: 10, view_size: 3 };

/** A tiny checkpoint with seeded random weights, consistent with its config. */
export function tinyCheckpoint(seed = 1): Checkpoint {
  const ckpt: Checkpoint = {
    format: 'dti',
    model: parseModelConfig(TINY_MODEL_CONFIG),
    env: parseEnvConfig(TINY_ENV_CONFIG),
    nActions: 3,
    obsShape: [3, 3, 3],
    weights: new Map(),
    provenance: {},
  };
  const rand = seededRandom(seed);
  for (const [name, exp] of expectedStateDict(ckpt)) {
    const n = exp.shape.reduce((a, b) => a * b, 1);
    if (exp.kind === 'bool') {
      const side = exp.shape[0];
      const mask = Uint8Array.from({ length: n }, (_, i) => (i % side <= Math.floor(i / side) ? 1 : 0));
      ckpt.weights.set(name, { dtype: 'BOOL', shape: exp.shape, data: mask });
    } else {
      const data = Float32Array.from({ length: n }, () => rand() - 0.5);
      ckpt.weights.set(name, { dtype: 'F32', shape: exp.shape, data });
    }
  }
  return ckpt;
}

export const tinyTorchCheckpoint = (seed = 1, state = tinyCheckpoint(seed).weights): Uint8Array =>
  dtiTorchCheckpoint(state, TINY_MODEL_CONFIG, TINY_ENV_CONFIG);

export const tinySafetensorsCheckpoint = (seed = 1): Uint8Array => saveNativeCheckpoint(tinyCheckpoint(seed));

/** Input windows in `dtlens forward`'s layout: B windows of T steps for the tiny model. */
export function inputWindows(seed = 3, B = 2, T = 3, actions?: RawTensor): Uint8Array {
  const rand = seededRandom(seed);
  const f32 = (shape: number[], f: () => number): RawTensor => ({
    dtype: 'F32',
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f),
  });
  const i64 = (shape: number[], f: (i: number) => number): RawTensor => ({
    dtype: 'I64',
    shape,
    data: BigInt64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => BigInt(f(i))),
  });
  return writeSafetensors({
    'inputs.states': f32([B, T, 3, 3, 3], () => Math.floor(rand() * 4)),
    'inputs.rtgs': f32([B, T, 1], rand),
    'inputs.timesteps': i64([B, T, 1], (i) => i % T),
    'inputs.actions': actions ?? i64([B, T - 1, 1], () => Math.floor(rand() * 3)),
  });
}

/** Columns of a small DTI trajectory file: T steps of nEnvs envs, 3x3 index observations. */
export function trajectoryColumns(seed = 5, T = 6, nEnvs = 2, actions?: RawTensor): TrajectoryColumns {
  const rand = seededRandom(seed);
  const n = T * nEnvs;
  const bools = (p: number) =>
    Uint8Array.from({ length: n }, (_, i) => (i >= n - nEnvs || rand() < p ? 1 : 0));
  return {
    observations: {
      dtype: 'F64',
      shape: [T, nEnvs, 3, 3, 3],
      data: Float64Array.from({ length: n * 27 }, () => Math.floor(rand() * 5)),
    },
    actions: actions ?? {
      dtype: 'I64',
      shape: [T, nEnvs],
      data: BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 3))),
    },
    rewards: {
      dtype: 'F64',
      shape: [T, nEnvs],
      data: Float64Array.from({ length: n }, () => (rand() < 0.2 ? 0.5 : 0)),
    },
    dones: { dtype: 'BOOL', shape: [T, nEnvs], data: bools(0.2) },
    truncated: { dtype: 'BOOL', shape: [T, nEnvs], data: bools(0) },
  };
}

/** Real files from ../shared (checkpoints and the DTI trajectory fixture); none where it is absent. */
function sharedBases(): Base[] {
  const out: Base[] = [];
  const models = join(SHARED_DIR, 'models');
  if (existsSync(models))
    for (const f of readdirSync(models).sort())
      if (f.endsWith('.pt'))
        out.push({
          name: `shared:${f}`,
          target: 'checkpoint',
          bytes: new Uint8Array(readFileSync(join(models, f))),
          checksummed: true,
        });
  const fixture = join(SHARED_DIR, 'golden', 'dti_trajectories_fixture.xz');
  if (existsSync(fixture))
    out.push({
      name: 'shared:dti_trajectories_fixture.xz',
      target: 'trajectory',
      bytes: new Uint8Array(readFileSync(fixture)),
      checksummed: true,
    });
  return out;
}

/** Every base file: generated ones first, then those of ../shared. */
export function fuzzBases(includeShared = true): Base[] {
  return [
    {
      name: 'tiny DTI torch checkpoint',
      target: 'checkpoint',
      bytes: tinyTorchCheckpoint(),
      checksummed: true,
    },
    {
      name: 'tiny dtlens safetensors checkpoint',
      target: 'checkpoint',
      bytes: tinySafetensorsCheckpoint(),
      checksummed: false,
    },
    { name: 'input windows', target: 'inputs', bytes: inputWindows(), checksummed: false },
    {
      name: 'DTI trajectories (.pkl)',
      target: 'trajectory',
      bytes: dtiTrajectoryFile(trajectoryColumns()),
      checksummed: false,
    },
    {
      name: 'DTI trajectories (.xz)',
      target: 'trajectory',
      bytes: xzFile(dtiTrajectoryFile(trajectoryColumns())),
      checksummed: true,
    },
    {
      name: 'DTI trajectories (.gz)',
      target: 'trajectory',
      bytes: dtiTrajectoryFile(trajectoryColumns(), true),
      checksummed: true,
    },
    ...(includeShared ? sharedBases() : []),
  ];
}
