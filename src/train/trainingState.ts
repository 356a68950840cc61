/**
 * Resumable training state as one safetensors file: the weights (`model.<state-dict name>`), AdamW's
 * moments (`adam_m.<name>`, `adam_v.<name>`) and, in `dtlens.resume` metadata, the step, the training
 * config, the model's env / action / observation description and the records of the curriculum stages
 * that produced it (`stages`, empty for a single-stage run).
 */
import { DtlensError, check } from '../errors.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { type RawTensor, toFloat32 } from '../io/rawTensor.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { envConfigToJson, parseEnvConfig } from '../config/config.ts';
import type { TrainConfig, TrainingState } from './trainer.ts';

const META = 'dtlens.resume';

/** What one curriculum stage (one `dtlens train` run of a staged run) trained on. */
export type StageRecord = Record<string, unknown>;

export function writeTrainingState(
  state: TrainingState,
  config: TrainConfig,
  stages: StageRecord[] = [],
): Uint8Array {
  const tensors = new Map<string, RawTensor>();
  for (const [k, t] of state.checkpoint.weights) tensors.set(`model.${k}`, t);
  for (const [k, m] of state.m) tensors.set(`adam_m.${k}`, { dtype: 'F32', shape: [m.length], data: m });
  for (const [k, v] of state.v) tensors.set(`adam_v.${k}`, { dtype: 'F32', shape: [v.length], data: v });
  const ck = state.checkpoint;
  return writeSafetensors(tensors, {
    [META]: JSON.stringify({
      step: state.step,
      config,
      env: envConfigToJson(ck.env),
      n_actions: ck.nActions,
      obs_shape: ck.obsShape,
      stages,
    }),
  });
}

export function readTrainingState(bytes: Uint8Array): {
  state: TrainingState;
  config: TrainConfig;
  stages: StageRecord[];
} {
  const { tensors, metadata } = readSafetensors(bytes);
  const raw = metadata[META];
  if (raw === undefined)
    throw new DtlensError('BAD_INPUT', 'not a dtlens training-state file (no dtlens.resume metadata)');
  let meta: {
    step: number;
    config: TrainConfig;
    env: unknown;
    n_actions: number;
    obs_shape: [number, number, number];
    stages?: unknown;
  };
  try {
    meta = JSON.parse(raw);
  } catch {
    throw new DtlensError('BAD_INPUT', 'dtlens.resume metadata is not valid JSON');
  }
  check(
    meta !== null && typeof meta === 'object' && Number.isInteger(meta.step) && meta.step >= 0,
    'BAD_INPUT',
    'resume step must be a non-negative integer',
  );
  check(meta.config && typeof meta.config === 'object', 'BAD_INPUT', 'resume file has no training config');
  const stages = meta.stages ?? [];
  check(
    Array.isArray(stages) && stages.every((x) => x && typeof x === 'object' && !Array.isArray(x)),
    'BAD_INPUT',
    'resume file stages must be a list of records',
  );
  const weights = new Map<string, RawTensor>();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, t] of tensors) {
    if (k.startsWith('model.')) weights.set(k.slice(6), t);
    else if (k.startsWith('adam_m.')) m.set(k.slice(7), toFloat32(t));
    else if (k.startsWith('adam_v.')) v.set(k.slice(7), toFloat32(t));
  }
  const checkpoint: Checkpoint = {
    format: 'dtlens',
    model: meta.config.model,
    env: parseEnvConfig(meta.env),
    nActions: meta.n_actions,
    obsShape: meta.obs_shape,
    weights,
    provenance: { created: 'dtlens train (resumed)' },
  };
  return {
    state: { step: meta.step, checkpoint, m, v },
    config: meta.config,
    stages: stages as StageRecord[],
  };
}
