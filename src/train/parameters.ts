/**
 * The trainable parameters of a `DTWeights`, by state-dict name, as live views of the weight arrays
 * (updating `data` in place updates the model; call `invalidateDerivedWeights` afterwards). `decay` follows DTI's
 * minGPT-style AdamW groups: weight matrices decay; biases, layer norms, the action/time embeddings and
 * W_pos do not.
 */
import type { DTWeights, LayerNormWeights, LinearWeights } from '../model/weights.ts';
import { isLinearTimeEmbedding } from '../model/weights.ts';
import { Tensor } from '../tensor/tensor.ts';

export interface Parameter {
  /** State-dict name, e.g. `transformer.blocks.0.attn.W_Q`. */
  name: string;
  data: Float32Array;
  shape: number[];
  /** In AdamW's weight-decay group. */
  decay: boolean;
}

export function trainableParameters(w: DTWeights): Parameter[] {
  const params: Parameter[] = [];
  const add = (name: string, data: Float32Array, shape: readonly number[], decay: boolean) =>
    params.push({ name, data, shape: [...shape], decay });
  const tensor = (name: string, t: Tensor, decay: boolean) => add(name, t.data, t.shape, decay);
  const ln = (prefix: string, l: LayerNormWeights | undefined) => {
    if (!l) return;
    add(`${prefix}.w`, l.w, [l.w.length], false);
    add(`${prefix}.b`, l.b, [l.b.length], false);
  };
  const linear = (prefix: string, l: LinearWeights | undefined) => {
    if (!l) return;
    tensor(`${prefix}.weight`, l.W, true);
    if (l.b) tensor(`${prefix}.bias`, l.b, false);
  };
  tensor('action_embedding.0.weight', w.actionEmbedding, false);
  if (isLinearTimeEmbedding(w.timeEmbedding)) linear('time_embedding', w.timeEmbedding);
  else tensor('time_embedding.weight', w.timeEmbedding, false);
  tensor('state_embedding.weight', w.stateEmbedding, true);
  tensor('transformer.pos_embed.W_pos', w.W_pos, false);
  w.blocks.forEach((b, l) => {
    const p = `transformer.blocks.${l}`;
    ln(`${p}.ln1`, b.ln1);
    ln(`${p}.ln2`, b.ln2);
    for (const [k, t] of Object.entries(b.attn)) tensor(`${p}.attn.${k}`, t as Tensor, k.startsWith('W_'));
    for (const [k, t] of Object.entries(b.mlp))
      if (k !== 'ln' && t) tensor(`${p}.mlp.${k}`, t as Tensor, k.startsWith('W_'));
    ln(`${p}.mlp.ln`, b.mlp.ln);
  });
  ln('transformer.ln_final', w.lnFinal);
  linear('action_predictor', w.actionPredictor);
  linear('state_predictor', w.statePredictor);
  tensor('reward_embedding.0.weight', w.rtgEmbedding, true);
  linear('reward_predictor', w.rewardPredictor);
  return params;
}

/** Zero-filled gradient buffers, one per parameter, by name. */
export function zeroGrads(params: readonly Parameter[]): Map<string, Float32Array> {
  return new Map(params.map((p) => [p.name, new Float32Array(p.data.length)]));
}
