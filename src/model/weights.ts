/**
 * The Decision Transformer's parameters in TransformerLens layout, built from a checkpoint's
 * state dict (current DTI names, and the legacy names of DTI@5367db3 mapped onto them).
 */
import { DtlensError } from '../errors.ts';
import type { RawTensor } from '../io/rawTensor.ts';
import { toFloat32 } from '../io/rawTensor.ts';
import { Tensor } from '../tensor/tensor.ts';

export interface LayerNormWeights {
  /** [d] */
  w: Float32Array;
  /** [d] */
  b: Float32Array;
}

export interface AttentionWeights {
  /** [H, d, dh] */
  W_Q: Tensor;
  W_K: Tensor;
  W_V: Tensor;
  /** [H, dh, d] */
  W_O: Tensor;
  /** [H, dh] */
  b_Q: Tensor;
  b_K: Tensor;
  b_V: Tensor;
  /** [d] */
  b_O: Tensor;
}

export interface MlpWeights {
  /** [d, dMlp] */
  W_in: Tensor;
  /** [dMlp] */
  b_in: Tensor;
  /** [d, dMlp], gated MLPs only */
  W_gate?: Tensor;
  /**
   * [dMlp], gate bias: not in TransformerLens 1.2.2's GatedMLP. dtlens adds it only when folding
   * a gated MLP's layer norm exactly (`processed` weights); absent means zero.
   */
  b_gate?: Tensor;
  /**
   * [dMlp], bias inside the gated MLP's linear branch: post = act(x W_gate + b_gate) * (x W_in + b_linear) + b_in.
   * Also a dtlens extension for exact folding; absent means zero.
   */
  b_linear?: Tensor;
  /** [dMlp, d] */
  W_out: Tensor;
  /** [d] */
  b_out: Tensor;
  /** solu_ln's inner layer norm (`mlp.ln`), LN models only. */
  ln?: LayerNormWeights;
}

export interface BlockWeights {
  ln1?: LayerNormWeights;
  ln2?: LayerNormWeights;
  attn: AttentionWeights;
  mlp: MlpWeights;
}

export interface LinearWeights {
  /** [out, in] (torch layout) */
  W: Tensor;
  /** [out], or null for a bias-free layer */
  b: Tensor | null;
}

export interface DTWeights {
  /** state_embedding.weight [d, nObs] */
  stateEmbedding: Tensor;
  /** reward_embedding.0.weight [d, 1]: e_R = rtg * w */
  rtgEmbedding: Tensor;
  /** action_embedding.0.weight [A+1, d]; row A is the padding token */
  actionEmbedding: Tensor;
  /** time_embedding: an Embedding [maxT+1, d], or a Linear(1, d) for `linear` time embeddings */
  timeEmbedding: Tensor | LinearWeights;
  /** transformer.pos_embed.W_pos [nCtx, d] */
  W_pos: Tensor;
  blocks: BlockWeights[];
  lnFinal?: LayerNormWeights;
  actionPredictor: LinearWeights;
  statePredictor?: LinearWeights;
  rewardPredictor?: LinearWeights;
}

/** Legacy (DTI@5367db3) state-dict names and their current equivalents. */
const LEGACY_NAMES: Record<string, string> = {
  'state_encoder.weight': 'state_embedding.weight',
  'predict_actions.weight': 'action_predictor.weight',
  'predict_actions.bias': 'action_predictor.bias',
  'predict_states.weight': 'state_predictor.weight',
  'predict_states.bias': 'state_predictor.bias',
  'predict_rewards.weight': 'reward_predictor.weight',
  'predict_rewards.bias': 'reward_predictor.bias',
};

/** State-dict entries that are buffers, not parameters. */
export const isBufferName = (name: string): boolean => /\.attn\.(mask|IGNORE)$/.test(name);

/**
 * Builds `DTWeights` from a state dict. Throws BAD_CHECKPOINT naming the first missing key;
 * shapes are validated by `validateWeights`.
 */
export function weightsFromStateDict(
  stateDict: ReadonlyMap<string, RawTensor>,
  dims: { nLayers: number; layerNorm: null | 'LN' | 'LNPre'; gatedMlp: boolean; soluLn: boolean },
): DTWeights {
  const sd = new Map<string, RawTensor>();
  for (const [k, v] of stateDict) sd.set(LEGACY_NAMES[k] ?? k, v);
  const tensor = (name: string): Tensor => {
    const raw = sd.get(name);
    if (!raw) throw new DtlensError('BAD_CHECKPOINT', `state dict has no "${name}"`);
    return new Tensor(toFloat32(raw), raw.shape);
  };
  const optional = (name: string): Tensor | undefined => (sd.has(name) ? tensor(name) : undefined);
  const ln = (prefix: string): LayerNormWeights => ({
    w: tensor(`${prefix}.w`).data,
    b: tensor(`${prefix}.b`).data,
  });
  const linear = (prefix: string): LinearWeights => ({
    W: tensor(`${prefix}.weight`),
    b: optional(`${prefix}.bias`) ?? null,
  });
  const hasLinear = (prefix: string) => sd.has(`${prefix}.weight`);

  const blocks: BlockWeights[] = [];
  for (let l = 0; l < dims.nLayers; l++) {
    const p = `transformer.blocks.${l}`;
    const a = `${p}.attn`;
    const m = `${p}.mlp`;
    blocks.push({
      ...(dims.layerNorm === 'LN' ? { ln1: ln(`${p}.ln1`), ln2: ln(`${p}.ln2`) } : {}),
      attn: {
        W_Q: tensor(`${a}.W_Q`),
        W_K: tensor(`${a}.W_K`),
        W_V: tensor(`${a}.W_V`),
        W_O: tensor(`${a}.W_O`),
        b_Q: tensor(`${a}.b_Q`),
        b_K: tensor(`${a}.b_K`),
        b_V: tensor(`${a}.b_V`),
        b_O: tensor(`${a}.b_O`),
      },
      mlp: {
        W_in: tensor(`${m}.W_in`),
        b_in: tensor(`${m}.b_in`),
        ...(dims.gatedMlp ? { W_gate: tensor(`${m}.W_gate`) } : {}),
        ...(sd.has(`${m}.b_gate`) ? { b_gate: tensor(`${m}.b_gate`) } : {}),
        ...(sd.has(`${m}.b_linear`) ? { b_linear: tensor(`${m}.b_linear`) } : {}),
        W_out: tensor(`${m}.W_out`),
        b_out: tensor(`${m}.b_out`),
        ...(dims.soluLn && dims.layerNorm === 'LN' ? { ln: ln(`${m}.ln`) } : {}),
      },
    });
  }
  const timeEmbedding = isLinearTime(sd) ? linear('time_embedding') : tensor('time_embedding.weight');
  return {
    stateEmbedding: tensor('state_embedding.weight'),
    rtgEmbedding: tensor('reward_embedding.0.weight'),
    actionEmbedding: tensor('action_embedding.0.weight'),
    timeEmbedding,
    W_pos: tensor('transformer.pos_embed.W_pos'),
    blocks,
    ...(dims.layerNorm === 'LN' ? { lnFinal: ln('transformer.ln_final') } : {}),
    actionPredictor: linear('action_predictor'),
    ...(hasLinear('state_predictor') ? { statePredictor: linear('state_predictor') } : {}),
    ...(hasLinear('reward_predictor') ? { rewardPredictor: linear('reward_predictor') } : {}),
  };
}

/** A `linear` time embedding is a Linear(1, d): weight [d, 1]. */
function isLinearTime(sd: ReadonlyMap<string, RawTensor>): boolean {
  const w = sd.get('time_embedding.weight');
  return !!w && w.shape.length === 2 && w.shape[1] === 1;
}

export function isLinearTimeEmbedding(t: DTWeights['timeEmbedding']): t is LinearWeights {
  return !(t instanceof Tensor);
}

/** Number of trained parameters of a state dict (buffers such as the attention mask are not parameters). */
export function parameterCount(stateDict: ReadonlyMap<string, RawTensor>): number {
  let n = 0;
  for (const [name, t] of stateDict) if (!isBufferName(name)) n += t.shape.reduce((a, s) => a * s, 1);
  return n;
}
