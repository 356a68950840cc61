/**
 * Decision Transformer checkpoints in every format dtlens reads, normalised to one `Checkpoint`:
 * - `dti`: DTI's torch dict `{model_state_dict, model_config, environment_config, offline_config}` (configs
 *   are JSON strings; missing fields take DTI's defaults);
 * - `dti-legacy`: a bare state dict of DTI@5367db3 (`state_encoder`, `predict_*` names, tokens
 *   `[R_t, S_t, A_prev]`), whose config is inferred from tensor shapes, the file name and the archive folder;
 * - `dtlens`: one safetensors file, configs in its metadata (`dtlens.model_config`, `dtlens.env_config`, ...).
 * Weights keep the file's state-dict names and are checked key by key against the shapes the config implies.
 */
import { DtlensError, check } from '../errors.ts';
import {
  envConfigToJson,
  modelConfigToJson,
  parseEnvConfig,
  parseModelConfig,
  DEFAULT_ENV_CONFIG,
  DEFAULT_MODEL_CONFIG,
  type EnvConfig,
  type ModelConfig,
} from '../model/config.ts';
import { isRawTensor, type RawDtype, type RawTensor } from './rawTensor.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import { isLegacyTorch, loadTorchFile } from './torch.ts';
import { isZip } from './zip.ts';

/** What a legacy (DTI@5367db3) checkpoint needs beyond the current config. */
export interface LegacyInfo {
  /** Largest timestep of a learned time embedding (its rows - 1); null for a linear one (not recorded). */
  maxTimestep: number | null;
}

export interface Checkpoint {
  format: 'dti' | 'dti-legacy' | 'dtlens';
  model: ModelConfig;
  env: EnvConfig;
  /** Size of the action space; the action embedding has nActions + 1 rows (the last is padding). */
  nActions: number;
  /** Observation [X, Y, C] as MiniGrid returns it. */
  obsShape: [number, number, number];
  /** DTI's offline training config (or dtlens training record), as stored. */
  offline?: Record<string, unknown>;
  /** Present for legacy models (also after conversion to the native format). */
  legacy?: LegacyInfo;
  /** State dict, under the names the checkpoint uses. */
  weights: Map<string, RawTensor>;
  /** Where everything came from and what was inferred, as human-readable strings. */
  provenance: Record<string, string>;
}

/** Env id of the legacy DTI app: episodes were capped at 30 steps. */
const LEGACY_APP_MAX_STEPS = 30;
const ONE_HOT_CHANNELS = 20;
const INDEX_CHANNELS = 3;
const FLOAT_DTYPES: readonly RawDtype[] = ['F32', 'F64', 'F16', 'BF16'];

const badCkpt = (message: string) => new DtlensError('BAD_CHECKPOINT', message);

/** Loads any supported checkpoint; dispatches on content (zip -> torch, otherwise safetensors). */
export function loadCheckpoint(bytes: Uint8Array, fileName?: string): Checkpoint {
  const torch = isZip(bytes) || isLegacyTorch(bytes);
  // A safetensors file starts with an 8-byte header length, then the JSON header's '{'.
  if (!torch && !(bytes.length > 8 && bytes[8] === 0x7b))
    throw badCkpt('not a model file: expected a PyTorch .pt zip or a .safetensors file');
  const ckpt = torch ? loadTorchCheckpoint(bytes, fileName) : loadNative(bytes);
  validateCheckpoint(ckpt);
  if (fileName !== undefined) ckpt.provenance.file = fileName;
  return ckpt;
}

// ---------------------------------------------------------------- torch (DTI) checkpoints

function loadTorchCheckpoint(bytes: Uint8Array, fileName?: string): Checkpoint {
  const { root, archivePrefix } = loadTorchFile(bytes);
  if (!(root instanceof Map)) throw badCkpt('torch file does not hold a dict');
  if (root.has('model_state_dict')) return fromDtiDict(root, archivePrefix);
  return fromLegacyStateDict(tensorMap(root, 'state dict'), archivePrefix, fileName);
}

function tensorMap(value: unknown, what: string): Map<string, RawTensor> {
  if (!(value instanceof Map)) throw badCkpt(`${what} is not a dict`);
  const out = new Map<string, RawTensor>();
  for (const [k, v] of value) {
    if (typeof k !== 'string' || !isRawTensor(v)) throw badCkpt(`${what} entry ${String(k)} is not a tensor`);
    out.set(k, v);
  }
  return out;
}

function jsonField(root: Map<unknown, unknown>, key: string): unknown {
  const v = root.get(key);
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw new DtlensError('BAD_CONFIG', `${key} is not valid JSON`);
  }
}

function fromDtiDict(root: Map<unknown, unknown>, archivePrefix: string): Checkpoint {
  const weights = tensorMap(root.get('model_state_dict'), 'model_state_dict');
  if ([...weights.keys()].some((k) => k.startsWith('model.')) || root.has('online_config'))
    throw new DtlensError('UNSUPPORTED', 'this is a PPO agent checkpoint, not a Decision Transformer');
  for (const key of ['model_config', 'environment_config'])
    if (!root.has(key)) throw badCkpt(`DTI checkpoint has no ${key}`);
  const model = parseModelConfig(jsonField(root, 'model_config'));
  const env = parseEnvConfig(jsonField(root, 'environment_config'));
  const offline = root.has('offline_config') ? jsonField(root, 'offline_config') : undefined;
  if (offline !== undefined && (typeof offline !== 'object' || offline === null || Array.isArray(offline)))
    throw new DtlensError('BAD_CONFIG', 'offline_config is not a JSON object');
  return {
    format: 'dti',
    model,
    env,
    nActions: actionCount(weights),
    obsShape: observationShape(env, weights.get('state_embedding.weight')),
    ...(offline ? { offline: offline as Record<string, unknown> } : {}),
    weights,
    provenance: { container: 'torch zip (DTI store_transformer_model)', archive_folder: archivePrefix },
  };
}

function actionCount(weights: Map<string, RawTensor>): number {
  const emb = weights.get('action_embedding.0.weight');
  if (!emb || emb.shape.length !== 2 || emb.shape[0] < 2)
    throw badCkpt('action_embedding.0.weight is missing or not [n_actions + 1, d_model]');
  return emb.shape[0] - 1;
}

/** [X, Y, C] of the observations: the view (or the full grid) and 20 one-hot or 3 index channels. */
function observationShape(env: EnvConfig, stateEmbedding: RawTensor | undefined): [number, number, number] {
  if (env.imgObs) throw new DtlensError('UNSUPPORTED', 'RGB image observations (img_obs) are not supported');
  const channels = env.oneHotObs ? ONE_HOT_CHANNELS : INDEX_CHANNELS;
  if (!env.fullyObserved) return [env.viewSize, env.viewSize, channels];
  const cells = (stateEmbedding?.shape[1] ?? 0) / channels;
  const side = Math.round(Math.sqrt(cells));
  check(
    side > 0 && side * side === cells,
    'BAD_SHAPE',
    'fully observed grid size cannot be read from state_embedding',
  );
  return [side, side, channels];
}

// ---------------------------------------------------------------- legacy bare state dicts

const ENV_ID_PATTERN = /(MiniGrid-[A-Za-z0-9-]+?-v\d+)/;

function shapeOf(weights: Map<string, RawTensor>, key: string, rank: number): number[] {
  const t = weights.get(key);
  if (!t) throw badCkpt(`legacy state dict has no ${key}`);
  if (t.shape.length !== rank)
    throw new DtlensError('BAD_SHAPE', `${key} has rank ${t.shape.length}, expected ${rank}`);
  return t.shape;
}

function fromLegacyStateDict(
  weights: Map<string, RawTensor>,
  archivePrefix: string,
  fileName?: string,
): Checkpoint {
  if (!weights.has('state_encoder.weight'))
    throw badCkpt(
      'torch file holds neither a DTI checkpoint dict nor a legacy DTI state dict (no state_encoder.weight)',
    );
  const inferred: string[] = [];
  const [nCtx, dModel] = shapeOf(weights, 'transformer.pos_embed.W_pos', 2);
  let nLayers = 0;
  while (weights.has(`transformer.blocks.${nLayers}.attn.W_Q`)) nLayers++;
  check(nLayers > 0, 'BAD_CHECKPOINT', 'legacy state dict has no transformer.blocks.0.attn.W_Q');
  const [nHeads, , dHead] = shapeOf(weights, 'transformer.blocks.0.attn.W_Q', 3);
  const [, dMlp] = shapeOf(weights, 'transformer.blocks.0.mlp.W_in', 2);
  const layerNorm = weights.has('transformer.blocks.0.ln1.w') ? 'LN' : null;
  const gatedMlp = weights.has('transformer.blocks.0.mlp.W_gate');
  const [timeRows, timeCols] = shapeOf(weights, 'time_embedding.weight', 2);
  const linearTime = timeCols === 1 && timeRows === dModel && !weights.has('time_embedding.bias');
  inferred.push(
    `n_ctx ${nCtx} and d_model ${dModel} from W_pos, n_layers ${nLayers} from the blocks, n_heads ${nHeads} from W_Q`,
    `d_mlp ${dMlp} from W_in, layer_norm ${layerNorm ?? 'none'} (ln1 ${layerNorm ? 'present' : 'absent'}), gated_mlp ${gatedMlp}`,
    linearTime ? 'linear time embedding (weight [d_model, 1])' : `learned time embedding of ${timeRows} rows`,
    'activation_fn relu and seed 1 (not recorded in legacy files)',
  );
  const model: ModelConfig = {
    ...DEFAULT_MODEL_CONFIG,
    dModel,
    nHeads,
    dHead,
    dMlp,
    nLayers,
    nCtx,
    layerNorm,
    gatedMlp,
    timeEmbeddingType: linearTime ? 'linear' : 'embedding',
  };
  check(dHead * nHeads === dModel, 'BAD_SHAPE', `W_Q heads ${nHeads} x d_head ${dHead} != d_model ${dModel}`);

  const nActions = actionCount(weights);
  const [, nObs] = shapeOf(weights, 'state_encoder.weight', 2);
  const oneHot = nObs % ONE_HOT_CHANNELS === 0;
  const viewSize = Math.round(Math.sqrt(nObs / (oneHot ? ONE_HOT_CHANNELS : INDEX_CHANNELS)));
  check(
    viewSize * viewSize * (oneHot ? ONE_HOT_CHANNELS : INDEX_CHANNELS) === nObs,
    'BAD_SHAPE',
    `state_encoder.weight has ${nObs} columns: not a square view of 3 or 20 channels`,
  );
  inferred.push(
    `${oneHot ? 'one-hot' : 'index'} observations of view ${viewSize} from state_encoder [${dModel}, ${nObs}]`,
  );
  const { envId, source } = legacyEnvId(nActions, archivePrefix, fileName);
  inferred.push(
    `env_id ${envId} from ${source}`,
    `max_steps ${LEGACY_APP_MAX_STEPS}: the episode cap of the legacy app`,
  );
  const env: EnvConfig = {
    ...DEFAULT_ENV_CONFIG,
    envId,
    oneHotObs: oneHot,
    viewSize,
    maxSteps: LEGACY_APP_MAX_STEPS,
  };
  return {
    format: 'dti-legacy',
    model,
    env,
    nActions,
    obsShape: [viewSize, viewSize, oneHot ? ONE_HOT_CHANNELS : INDEX_CHANNELS],
    legacy: { maxTimestep: linearTime ? null : timeRows - 1 },
    weights,
    provenance: {
      container: 'torch zip (bare legacy state dict, DTI@5367db3 layout: tokens [R_t, S_t, A_prev])',
      archive_folder: archivePrefix,
      inferred: inferred.join('; '),
    },
  };
}

/** The env of a legacy model: from the file path, then the archive folder (run name), then 3 actions. */
function legacyEnvId(
  nActions: number,
  archivePrefix: string,
  fileName?: string,
): { envId: string; source: string } {
  const fromFile = fileName?.match(ENV_ID_PATTERN)?.[1];
  if (fromFile) return { envId: fromFile, source: 'the file name' };
  const fromArchive = archivePrefix.match(ENV_ID_PATTERN)?.[1];
  if (fromArchive) return { envId: fromArchive, source: 'the archive folder (run name)' };
  if (nActions === 3) return { envId: 'MiniGrid-Dynamic-Obstacles-8x8-v0', source: 'shapes (3 actions)' };
  throw badCkpt('cannot infer the environment of this legacy model; name the file after its env id');
}

// ---------------------------------------------------------------- dtlens native format

const META = {
  model: 'dtlens.model_config',
  env: 'dtlens.env_config',
  training: 'dtlens.training',
  legacy: 'dtlens.legacy',
  provenance: 'dtlens.provenance',
  format: 'dtlens.format',
} as const;

function metaJson(metadata: Record<string, string>, key: string): unknown {
  if (metadata[key] === undefined) return undefined;
  try {
    return JSON.parse(metadata[key]);
  } catch {
    throw new DtlensError('BAD_CONFIG', `safetensors metadata ${key} is not valid JSON`);
  }
}

function loadNative(bytes: Uint8Array): Checkpoint {
  const { metadata, tensors } = readSafetensors(bytes);
  for (const key of [META.model, META.env])
    if (metadata[key] === undefined)
      throw badCkpt(`safetensors file has no ${key} metadata: not a dtlens checkpoint`);
  const legacy = metaJson(metadata, META.legacy) as LegacyInfo | undefined;
  if (legacy !== undefined) {
    const t = legacy?.maxTimestep;
    if (t !== null && !(Number.isSafeInteger(t) && t >= 0))
      throw new DtlensError('BAD_CONFIG', 'dtlens.legacy.maxTimestep');
  }
  const model = parseModelConfig(metaJson(metadata, META.model), { legacyContext: legacy !== undefined });
  const env = parseEnvConfig(metaJson(metadata, META.env));
  const training = metaJson(metadata, META.training);
  const provenance = metaJson(metadata, META.provenance) ?? {};
  if (typeof provenance !== 'object' || provenance === null)
    throw new DtlensError('BAD_CONFIG', 'dtlens.provenance');
  const stateEmbedding = tensors.get(legacy ? 'state_encoder.weight' : 'state_embedding.weight');
  return {
    format: 'dtlens',
    model,
    env,
    nActions: actionCount(tensors),
    obsShape: observationShape(env, stateEmbedding),
    ...(training && typeof training === 'object' ? { offline: training as Record<string, unknown> } : {}),
    ...(legacy ? { legacy: { maxTimestep: legacy.maxTimestep } } : {}),
    weights: tensors,
    provenance: { ...(provenance as Record<string, string>), container: 'dtlens safetensors' },
  };
}

/** Serialises a checkpoint to the dtlens native format (safetensors + config metadata). */
export function saveNativeCheckpoint(ckpt: Checkpoint): Uint8Array {
  validateCheckpoint(ckpt);
  const metadata: Record<string, string> = {
    [META.format]: '1',
    [META.model]: JSON.stringify(modelConfigToJson(ckpt.model)),
    [META.env]: JSON.stringify(envConfigToJson(ckpt.env)),
    [META.provenance]: JSON.stringify({
      ...ckpt.provenance,
      original_format: ckpt.provenance.original_format ?? ckpt.format,
    }),
  };
  if (ckpt.offline) metadata[META.training] = JSON.stringify(ckpt.offline);
  if (ckpt.legacy) metadata[META.legacy] = JSON.stringify(ckpt.legacy);
  return writeSafetensors(ckpt.weights, metadata);
}

// ---------------------------------------------------------------- validation

interface ExpectedTensor {
  shape: number[];
  kind: 'float' | 'bool';
}

/**
 * Every state-dict key the config implies, with its shape (current DTI names, or the legacy names when
 * `ckpt.legacy` is set). Only the `grid` state embedding is supported.
 */
export function expectedStateDict(
  ckpt: Pick<Checkpoint, 'model' | 'env' | 'nActions' | 'obsShape' | 'legacy'>,
): Map<string, ExpectedTensor> {
  const { model: m, nActions: A, legacy } = ckpt;
  if (m.stateEmbeddingType !== 'grid')
    throw new DtlensError(
      'UNSUPPORTED',
      `state_embedding_type ${m.stateEmbeddingType} is not supported (only grid)`,
    );
  const d = m.dModel;
  const nObs = ckpt.obsShape[0] * ckpt.obsShape[1] * ckpt.obsShape[2];
  const out = new Map<string, ExpectedTensor>();
  const add = (name: string, shape: number[], kind: ExpectedTensor['kind'] = 'float') =>
    out.set(name, { shape, kind });
  const names = legacy
    ? {
        state: 'state_encoder',
        action: 'predict_actions',
        stateOut: 'predict_states',
        reward: 'predict_rewards',
      }
    : {
        state: 'state_embedding',
        action: 'action_predictor',
        stateOut: 'state_predictor',
        reward: 'reward_predictor',
      };
  add('action_embedding.0.weight', [A + 1, d]);
  if (m.timeEmbeddingType === 'linear') {
    add('time_embedding.weight', [d, 1]);
    if (!legacy) add('time_embedding.bias', [d]);
  } else add('time_embedding.weight', [(legacy ? (legacy.maxTimestep ?? 0) : ckpt.env.maxSteps) + 1, d]);
  add(`${names.state}.weight`, [d, nObs]);
  add('transformer.pos_embed.W_pos', [m.nCtx, d]);
  const ln = (prefix: string, n = d) => {
    add(`${prefix}.w`, [n]);
    add(`${prefix}.b`, [n]);
  };
  for (let l = 0; l < m.nLayers; l++) {
    const p = `transformer.blocks.${l}`;
    if (m.layerNorm === 'LN') {
      ln(`${p}.ln1`);
      ln(`${p}.ln2`);
    }
    for (const w of ['W_Q', 'W_K', 'W_V']) add(`${p}.attn.${w}`, [m.nHeads, d, m.dHead]);
    add(`${p}.attn.W_O`, [m.nHeads, m.dHead, d]);
    for (const b of ['b_Q', 'b_K', 'b_V']) add(`${p}.attn.${b}`, [m.nHeads, m.dHead]);
    add(`${p}.attn.b_O`, [d]);
    add(`${p}.attn.mask`, [m.nCtx, m.nCtx], 'bool');
    add(`${p}.attn.IGNORE`, []);
    add(`${p}.mlp.W_in`, [d, m.dMlp]);
    if (m.gatedMlp) add(`${p}.mlp.W_gate`, [d, m.dMlp]);
    add(`${p}.mlp.b_in`, [m.dMlp]);
    add(`${p}.mlp.W_out`, [m.dMlp, d]);
    add(`${p}.mlp.b_out`, [d]);
    if (m.activationFn === 'solu_ln' && m.layerNorm === 'LN') ln(`${p}.mlp.ln`, m.dMlp);
  }
  if (m.layerNorm === 'LN') ln('transformer.ln_final');
  add(`${names.action}.weight`, [A, d]);
  add(`${names.action}.bias`, [A]);
  add(`${names.stateOut}.weight`, [nObs, d]);
  add(`${names.stateOut}.bias`, [nObs]);
  add('reward_embedding.0.weight', [d, 1]);
  add(`${names.reward}.weight`, [1, d]);
  add(`${names.reward}.bias`, [1]);
  return out;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Checks keys, shapes and dtypes of the weights against the config; BAD_CHECKPOINT / BAD_SHAPE otherwise. */
export function validateCheckpoint(ckpt: Checkpoint): void {
  const expected = expectedStateDict(ckpt);
  for (const [name, exp] of expected) {
    const t = ckpt.weights.get(name);
    if (!t) throw badCkpt(`state dict is missing ${name} (expected shape ${shapeText(exp.shape)})`);
    if (t.shape.length !== exp.shape.length || t.shape.some((s, i) => s !== exp.shape[i]))
      throw new DtlensError(
        'BAD_SHAPE',
        `${name} has shape ${shapeText(t.shape)}, but the config implies ${shapeText(exp.shape)}`,
      );
    const dtypeOk = exp.kind === 'bool' ? t.dtype === 'BOOL' : FLOAT_DTYPES.includes(t.dtype);
    if (!dtypeOk)
      throw badCkpt(
        `${name} has dtype ${t.dtype}, expected ${exp.kind === 'bool' ? 'BOOL' : 'a float type'}`,
      );
  }
  for (const name of ckpt.weights.keys())
    if (!expected.has(name)) throw badCkpt(`state dict has an unexpected key ${name} for this config`);
}
