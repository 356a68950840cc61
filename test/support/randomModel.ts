/**
 * Small random Decision Transformers for unit tests: a deterministic state dict with DTI's names,
 * built into a `DecisionTransformer` through the same path as real checkpoints.
 */
import { uniformSampler } from '../../src/analysis/static/linalg.ts';
import type { FusedCore } from '../../src/model/transformer.ts';
import type { RawTensor } from '../../src/io/rawTensor.ts';
import type { DTArchitecture } from '../../src/model/architecture.ts';
import { DecisionTransformer, type DTInputs } from '../../src/model/decisionTransformer.ts';
import { type WeightVariant, processWeights } from '../../src/model/processing.ts';
import { weightsFromStateDict } from '../../src/model/weights.ts';
import type { Gemm } from '../../src/tensor/gemm.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/** Mulberry32: a tiny seeded PRNG giving uniform floats in [0, 1). */
export const seededRandom = uniformSampler;

export const tinyArch = (overrides: Partial<DTArchitecture> = {}): DTArchitecture => ({
  dModel: 8,
  nHeads: 2,
  dHead: 4,
  dMlp: 12,
  nLayers: 2,
  nCtx: 8,
  normalization: 'LN',
  gatedMlp: false,
  activationFn: 'relu',
  nActions: 3,
  obsShape: [3, 3, 2],
  ...overrides,
});

/** The shape of DTI's MemoryGatedMLP (random weights stand in for it where ../shared is absent). */
export const MEMORY_GATED_MLP_ARCH: DTArchitecture = {
  dModel: 128,
  nHeads: 4,
  dHead: 32,
  dMlp: 256,
  nLayers: 2,
  nCtx: 26,
  normalization: 'LN',
  gatedMlp: true,
  activationFn: 'relu',
  nActions: 7,
  obsShape: [7, 7, 20],
};

/** A state dict for `arch` with values uniform in [-scale, scale] (LN weights around 1). */
export function randomStateDict(
  arch: DTArchitecture,
  seed = 1,
  maxTimestep = 20,
  scale = 0.5,
): Map<string, RawTensor> {
  const rand = seededRandom(seed);
  const sd = new Map<string, RawTensor>();
  const put = (name: string, shape: number[], centre = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = centre + (rand() * 2 - 1) * scale;
    sd.set(name, { dtype: 'F32', shape, data });
  };
  const { dModel: d, nHeads: H, dHead: dh, dMlp: m, nActions: A } = arch;
  const nObs = arch.obsShape[0] * arch.obsShape[1] * arch.obsShape[2];
  put('state_embedding.weight', [d, nObs]);
  put('reward_embedding.0.weight', [d, 1]);
  put('action_embedding.0.weight', [A + 1, d]);
  put('time_embedding.weight', [maxTimestep + 1, d]);
  put('transformer.pos_embed.W_pos', [arch.nCtx, d]);
  for (let l = 0; l < arch.nLayers; l++) {
    const p = `transformer.blocks.${l}`;
    if (arch.normalization === 'LN') {
      put(`${p}.ln1.w`, [d], 1);
      put(`${p}.ln1.b`, [d]);
      put(`${p}.ln2.w`, [d], 1);
      put(`${p}.ln2.b`, [d]);
    }
    for (const k of ['W_Q', 'W_K', 'W_V']) put(`${p}.attn.${k}`, [H, d, dh]);
    put(`${p}.attn.W_O`, [H, dh, d]);
    for (const k of ['b_Q', 'b_K', 'b_V']) put(`${p}.attn.${k}`, [H, dh]);
    put(`${p}.attn.b_O`, [d]);
    put(`${p}.mlp.W_in`, [d, m]);
    if (arch.gatedMlp) put(`${p}.mlp.W_gate`, [d, m]);
    put(`${p}.mlp.b_in`, [m]);
    put(`${p}.mlp.W_out`, [m, d]);
    put(`${p}.mlp.b_out`, [d]);
  }
  if (arch.normalization === 'LN') {
    put('transformer.ln_final.w', [d], 1);
    put('transformer.ln_final.b', [d]);
  }
  put('action_predictor.weight', [A, d]);
  put('action_predictor.bias', [A]);
  put('state_predictor.weight', [nObs, d]);
  put('state_predictor.bias', [nObs]);
  put('reward_predictor.weight', [1, d]);
  put('reward_predictor.bias', [1]);
  return sd;
}

export function randomModel(
  arch: DTArchitecture,
  opts: { seed?: number; variant?: WeightVariant; gemm?: Gemm; fusedCore?: FusedCore } = {},
): DecisionTransformer {
  const sd = randomStateDict(arch, opts.seed ?? 1);
  const weights = weightsFromStateDict(sd, {
    nLayers: arch.nLayers,
    layerNorm: arch.normalization,
    gatedMlp: arch.gatedMlp,
    soluLn: arch.activationFn === 'solu_ln',
  });
  const processed = processWeights(arch, weights, opts.variant ?? 'raw');
  return new DecisionTransformer(
    processed.arch,
    processed.weights,
    opts.gemm ?? new TsGemm(),
    opts.fusedCore,
  );
}

/** Random inputs with T timesteps and T-1 actions (pad ids included), one-hot-like 0/1 observations. */
export function randomInputs(arch: DTArchitecture, B: number, T: number, seed = 7): DTInputs {
  const rand = seededRandom(seed);
  const nObs = arch.obsShape[0] * arch.obsShape[1] * arch.obsShape[2];
  const states = new Float32Array(B * T * nObs).map(() => (rand() < 0.3 ? 1 : 0));
  return {
    states: new Tensor(states, [B, T, ...arch.obsShape]),
    actions: Int32Array.from({ length: B * (T - 1) }, () => Math.floor(rand() * (arch.nActions + 1))),
    rtgs: Float32Array.from({ length: B * T }, () => rand()),
    timesteps: Int32Array.from({ length: B * T }, (_, i) => i % T),
  };
}
