/**
 * Decision Transformer configuration: DTI's `TransformerModelConfig` and `EnvironmentConfig` in camelCase,
 * parsed from (and serialised back to) DTI's snake_case JSON with DTI's defaults and validation.
 */
import { DtlensError } from '../errors.ts';
import type { ActivationName } from '../tensor/ops.ts';

export type LayerNormType = null | 'LN' | 'LNPre';
export type ActivationFn = ActivationName;
export type StateEmbeddingType = 'grid' | 'cnn' | 'vit';
export type TimeEmbeddingType = 'embedding' | 'linear';

export interface ModelConfig {
  dModel: number;
  nHeads: number;
  /** dModel / nHeads. */
  dHead: number;
  dMlp: number;
  nLayers: number;
  /** Token positions: 3 * maxLen - 1 for a DT. */
  nCtx: number;
  layerNorm: LayerNormType;
  gatedMlp: boolean;
  activationFn: ActivationFn;
  stateEmbeddingType: StateEmbeddingType;
  timeEmbeddingType: TimeEmbeddingType;
  seed: number;
}

export interface EnvConfig {
  envId: string;
  oneHotObs: boolean;
  imgObs: boolean;
  fullyObserved: boolean;
  /** Episode step limit; the time embedding has maxSteps + 1 rows. */
  maxSteps: number;
  seed: number;
  viewSize: number;
  captureVideo: boolean;
  videoDir: string;
  videoFrequency: number;
  renderMode: string;
}

export const ACTIVATION_FNS: readonly ActivationFn[] = [
  'relu',
  'gelu',
  'silu',
  'gelu_new',
  'gelu_fast',
  'solu_ln',
];

/** DTI `TransformerModelConfig` defaults (src/config.py). */
export const DEFAULT_MODEL_CONFIG: Readonly<ModelConfig> = {
  dModel: 128,
  nHeads: 4,
  dHead: 32,
  dMlp: 256,
  nLayers: 2,
  nCtx: 2,
  layerNorm: null,
  gatedMlp: false,
  activationFn: 'relu',
  stateEmbeddingType: 'grid',
  timeEmbeddingType: 'embedding',
  seed: 1,
};

/** DTI `EnvironmentConfig` defaults (src/config.py). */
export const DEFAULT_ENV_CONFIG: Readonly<EnvConfig> = {
  envId: 'MiniGrid-Dynamic-Obstacles-8x8-v0',
  oneHotObs: false,
  imgObs: false,
  fullyObserved: false,
  maxSteps: 1000,
  seed: 1,
  viewSize: 7,
  captureVideo: false,
  videoDir: 'videos',
  videoFrequency: 50,
  renderMode: 'rgb_array',
};

/**
 * Upper bounds of the sizes a config may declare, checked before anything is built from it (a config
 * declaring 1e9 layers must fail at parsing, not after allocating a state dict for them). Generous: DTI
 * models have d_model 64-256, 1-6 layers and n_ctx below 100.
 */
export const CONFIG_BOUNDS = {
  dModel: 8192,
  nHeads: 256,
  dMlp: 65_536,
  nLayers: 128,
  nCtx: 8192,
  maxSteps: 1_000_000,
  viewSize: 63,
  nActions: 64,
} as const;

const badConfig = (field: string, message: string) =>
  new DtlensError('BAD_CONFIG', `config field ${field}: ${message}`);

function asObject(json: unknown, what: string): Record<string, unknown> {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch {
      throw new DtlensError('BAD_CONFIG', `${what} is not valid JSON`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DtlensError('BAD_CONFIG', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** A short description of a JSON value for messages (never the whole of a large or nested value). */
function describe(v: unknown): string {
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  const text = typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Reads snake_case fields, falling back to defaults for missing (or null) ones. */
class FieldReader {
  constructor(private readonly obj: Record<string, unknown>) {}
  private raw(key: string): unknown {
    return this.obj[key];
  }
  int(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw badConfig(key, `expected a number, got ${describe(v)}`);
    if (!Number.isInteger(v)) throw badConfig(key, `expected an integer, got ${v}`);
    if (v < min) throw badConfig(key, `must be at least ${min}, got ${v}`);
    if (v > max) throw badConfig(key, `must be at most ${max}, got ${v}`);
    return v;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'boolean') throw badConfig(key, `expected true or false, got ${describe(v)}`);
    return v;
  }
  str(key: string, fallback: string): string {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'string') throw badConfig(key, `expected a string, got ${describe(v)}`);
    return v;
  }
  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[], normalise = (s: string) => s): T {
    const v = normalise(this.str(key, fallback));
    if (!allowed.includes(v as T)) throw badConfig(key, `expected one of ${allowed.join(', ')}, got "${v}"`);
    return v as T;
  }
  layerNorm(key: string): LayerNormType {
    const v = this.raw(key);
    if (v === undefined || v === null || v === false || v === 'none' || v === 'None') return null;
    if (v === 'LN' || v === 'LNPre') return v;
    throw badConfig(key, `expected false, null, "none", "LN" or "LNPre", got ${describe(v)}`);
  }
}

export interface ModelConfigOptions {
  /** Accept legacy (DTI before the R,S,A layout) contexts where (n_ctx - 2) % 3 != 0. */
  legacyContext?: boolean;
}

/** Parses DTI's `model_config` JSON (object or string). Missing fields take DTI's defaults. */
export function parseModelConfig(json: unknown, options: ModelConfigOptions = {}): ModelConfig {
  const f = new FieldReader(asObject(json, 'model config'));
  const d = DEFAULT_MODEL_CONFIG;
  const dModel = f.int('d_model', d.dModel, 1, CONFIG_BOUNDS.dModel);
  const nHeads = f.int('n_heads', d.nHeads, 1, CONFIG_BOUNDS.nHeads);
  if (dModel % nHeads !== 0)
    throw badConfig('n_heads', `d_model ${dModel} is not divisible by n_heads ${nHeads}`);
  const dHead = dModel / nHeads;
  if (f.int('d_head', dHead, 1) !== dHead)
    throw badConfig('d_head', `must equal d_model / n_heads = ${dHead}`);
  const nCtx = f.int('n_ctx', d.nCtx, 1, CONFIG_BOUNDS.nCtx);
  if (!options.legacyContext && (nCtx - 2) % 3 !== 0)
    throw badConfig('n_ctx', `a Decision Transformer needs (n_ctx - 2) % 3 == 0, got ${nCtx}`);
  return {
    dModel,
    nHeads,
    dHead,
    dMlp: f.int('d_mlp', d.dMlp, 1, CONFIG_BOUNDS.dMlp),
    nLayers: f.int('n_layers', d.nLayers, 1, CONFIG_BOUNDS.nLayers),
    nCtx,
    layerNorm: f.layerNorm('layer_norm'),
    gatedMlp: f.bool('gated_mlp', d.gatedMlp),
    activationFn: f.oneOf('activation_fn', d.activationFn, ACTIVATION_FNS),
    stateEmbeddingType: f.oneOf('state_embedding_type', d.stateEmbeddingType, ['grid', 'cnn', 'vit'], (s) =>
      s.toLowerCase(),
    ),
    timeEmbeddingType: f.oneOf('time_embedding_type', d.timeEmbeddingType, ['embedding', 'linear']),
    seed: f.int('seed', d.seed, Number.MIN_SAFE_INTEGER),
  };
}

/** Parses DTI's `environment_config` JSON (object or string). Missing fields take DTI's defaults. */
export function parseEnvConfig(json: unknown): EnvConfig {
  const f = new FieldReader(asObject(json, 'environment config'));
  const d = DEFAULT_ENV_CONFIG;
  const envId = f.str('env_id', d.envId);
  if (envId.length === 0) throw badConfig('env_id', 'must not be empty');
  const cfg: EnvConfig = {
    envId,
    oneHotObs: f.bool('one_hot_obs', d.oneHotObs),
    imgObs: f.bool('img_obs', d.imgObs),
    fullyObserved: f.bool('fully_observed', d.fullyObserved),
    maxSteps: f.int('max_steps', d.maxSteps, 1, CONFIG_BOUNDS.maxSteps),
    seed: f.int('seed', d.seed, Number.MIN_SAFE_INTEGER),
    viewSize: f.int('view_size', d.viewSize, 3, CONFIG_BOUNDS.viewSize),
    captureVideo: f.bool('capture_video', d.captureVideo),
    videoDir: f.str('video_dir', d.videoDir),
    videoFrequency: f.int('video_frequency', d.videoFrequency, 1),
    renderMode: f.str('render_mode', d.renderMode),
  };
  if (cfg.viewSize % 2 !== 1) throw badConfig('view_size', `must be odd, got ${cfg.viewSize}`);
  if (cfg.fullyObserved && cfg.oneHotObs)
    throw badConfig('one_hot_obs', 'cannot be combined with fully_observed');
  return cfg;
}

/** DTI's snake_case JSON for a model config (as `json.dumps(TransformerModelConfig)` writes it). */
export function modelConfigToJson(cfg: ModelConfig): Record<string, unknown> {
  return {
    d_model: cfg.dModel,
    n_heads: cfg.nHeads,
    d_mlp: cfg.dMlp,
    n_layers: cfg.nLayers,
    n_ctx: cfg.nCtx,
    layer_norm: cfg.layerNorm,
    gated_mlp: cfg.gatedMlp,
    activation_fn: cfg.activationFn,
    state_embedding_type: cfg.stateEmbeddingType,
    time_embedding_type: cfg.timeEmbeddingType,
    seed: cfg.seed,
    device: 'cpu',
  };
}

/** DTI's snake_case JSON for an environment config. */
export function envConfigToJson(cfg: EnvConfig): Record<string, unknown> {
  return {
    env_id: cfg.envId,
    one_hot_obs: cfg.oneHotObs,
    img_obs: cfg.imgObs,
    fully_observed: cfg.fullyObserved,
    max_steps: cfg.maxSteps,
    seed: cfg.seed,
    view_size: cfg.viewSize,
    capture_video: cfg.captureVideo,
    video_dir: cfg.videoDir,
    video_frequency: cfg.videoFrequency,
    render_mode: cfg.renderMode,
    action_space: null,
    observation_space: null,
    device: 'cpu',
  };
}
