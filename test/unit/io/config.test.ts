import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import {
  DEFAULT_ENV_CONFIG,
  envConfigToJson,
  modelConfigToJson,
  parseEnvConfig,
  parseModelConfig,
} from '../../../src/config/config.ts';

function expectBadConfig(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DtlensError);
    expect((e as DtlensError).code).toBe('BAD_CONFIG');
    expect((e as DtlensError).message).toContain(field);
    return;
  }
  throw new Error(`expected BAD_CONFIG naming ${field}`);
}

describe('parseModelConfig', () => {
  it('applies DTI defaults to an old config without gated_mlp / activation_fn, and maps layer_norm false to null', () => {
    const cfg = parseModelConfig(
      '{"d_model":128,"n_heads":2,"d_mlp":256,"n_layers":1,"n_ctx":2,"layer_norm":false,' +
        '"state_embedding_type":"grid","time_embedding_type":"embedding","seed":1,"device":"cpu"}',
    );
    expect(cfg).toEqual({
      dModel: 128,
      nHeads: 2,
      dHead: 64,
      dMlp: 256,
      nLayers: 1,
      nCtx: 2,
      layerNorm: null,
      gatedMlp: false,
      activationFn: 'relu',
      stateEmbeddingType: 'grid',
      timeEmbeddingType: 'embedding',
      seed: 1,
    });
    expect(parseModelConfig({ layer_norm: 'none' }).layerNorm).toBeNull();
    expect(parseModelConfig({ layer_norm: 'LNPre' }).layerNorm).toBe('LNPre');
    expect(parseModelConfig({ state_embedding_type: 'GRID' }).stateEmbeddingType).toBe('grid');
  });

  it('round-trips through snake_case JSON', () => {
    const cfg = parseModelConfig({ d_model: 64, n_heads: 8, n_ctx: 26, layer_norm: 'LN', gated_mlp: true });
    expect(parseModelConfig(modelConfigToJson(cfg))).toEqual(cfg);
    expect(modelConfigToJson(cfg).layer_norm).toBe('LN');
  });

  it('rejects wrong types, NaN, negative and inconsistent values, naming the field', () => {
    expectBadConfig(() => parseModelConfig({ d_model: 'big' }), 'd_model');
    expectBadConfig(() => parseModelConfig({ d_model: NaN }), 'd_model');
    expectBadConfig(() => parseModelConfig({ n_layers: -1 }), 'n_layers');
    expectBadConfig(() => parseModelConfig({ d_mlp: 2.5 }), 'd_mlp');
    expectBadConfig(() => parseModelConfig({ d_model: 130, n_heads: 4 }), 'n_heads');
    expectBadConfig(() => parseModelConfig({ n_ctx: 4 }), 'n_ctx');
    expectBadConfig(() => parseModelConfig({ layer_norm: 'RMS' }), 'layer_norm');
    expectBadConfig(() => parseModelConfig({ activation_fn: 'tanh' }), 'activation_fn');
    expectBadConfig(() => parseModelConfig({ time_embedding_type: 'sinusoidal' }), 'time_embedding_type');
    expectBadConfig(() => parseModelConfig({ gated_mlp: 'yes' }), 'gated_mlp');
    expectBadConfig(() => parseModelConfig('{"d_model": '), 'model config');
    expectBadConfig(() => parseModelConfig([1]), 'model config');
  });

  it('accepts a legacy context only when asked', () => {
    expect(parseModelConfig({ n_ctx: 3 }, { legacyContext: true }).nCtx).toBe(3);
  });
});

describe('parseEnvConfig', () => {
  it('fills DTI defaults and ignores action/observation spaces', () => {
    expect(parseEnvConfig({ action_space: null, observation_space: null })).toEqual(DEFAULT_ENV_CONFIG);
    const cfg = parseEnvConfig({
      env_id: 'MiniGrid-MemoryS7FixedStart-v0',
      one_hot_obs: true,
      max_steps: 50,
    });
    expect(cfg.maxSteps).toBe(50);
    expect(parseEnvConfig(envConfigToJson(cfg))).toEqual(cfg);
  });

  it('rejects bad values naming the field', () => {
    expectBadConfig(() => parseEnvConfig({ max_steps: 0 }), 'max_steps');
    expectBadConfig(() => parseEnvConfig({ max_steps: Infinity }), 'max_steps');
    expectBadConfig(() => parseEnvConfig({ view_size: 6 }), 'view_size');
    expectBadConfig(() => parseEnvConfig({ env_id: '' }), 'env_id');
    expectBadConfig(() => parseEnvConfig({ one_hot_obs: 1 }), 'one_hot_obs');
    expectBadConfig(() => parseEnvConfig({ one_hot_obs: true, fully_observed: true }), 'one_hot_obs');
  });
});
