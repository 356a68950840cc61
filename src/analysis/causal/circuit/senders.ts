/**
 * What each sender of the circuit graph writes into the residual stream, per batch row: `[P * d]`.
 * `embed:K` = `hook_embed` at the positions of kind K (0 elsewhere), `pos_embed` = `hook_pos_embed`,
 * head `LlHh` = `z[·, h] · W_O[h]` (without b_O, which no run changes), `mlpl` = `hook_mlp_out`.
 * The residual entering a receiver is the sum of its upstream senders plus constant biases, so
 * exchanging one sender's value for another run's changes the receiver input by exactly their difference.
 */
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { tokenKind } from '../../../model/tokens.ts';
import type { Tensor } from '../../../tensor/tensor.ts';
import type { SenderNode } from './graph.ts';

/** The activations of one run by hook name (a cache, or what a run's hooks captured). */
export type ActivationLookup = (hook: string) => Tensor;

/** The sender's contribution to the residual stream of batch row `b` at position `p`: a new [d] array. */
export function senderOutputAt(
  model: DecisionTransformer,
  node: SenderNode,
  act: ActivationLookup,
  b: number,
  p: number,
): Float32Array {
  const d = model.arch.dModel;
  const at = (hook: string) => {
    const t = act(hook);
    const o = (b * t.shape[1] + p) * d;
    return t.data.slice(o, o + d);
  };
  if (node.kind === 'pos') return at('hook_pos_embed');
  if (node.kind === 'mlp') return at(`blocks.${node.layer}.hook_mlp_out`);
  if (node.kind === 'embed') return tokenKind(p) === node.token ? at('hook_embed') : new Float32Array(d);
  const { nHeads: H, dHead: dh } = model.arch;
  const z = act(`blocks.${node.layer}.attn.hook_z`); // [B, P, H, dh]
  const W = model.weights.blocks[node.layer].attn.W_O.data; // [H, dh, d]
  const out = new Float32Array(d);
  const zo = ((b * z.shape[1] + p) * H + node.head) * dh;
  for (let e = 0; e < dh; e++) {
    const ze = z.data[zo + e];
    const wo = (node.head * dh + e) * d;
    for (let j = 0; j < d; j++) out[j] += ze * W[wo + j];
  }
  return out;
}

/** The sender's contribution at every position of batch row `b`: a new [P * d] array. */
export function senderOutput(
  model: DecisionTransformer,
  node: SenderNode,
  act: ActivationLookup,
  b: number,
): Float32Array {
  const d = model.arch.dModel;
  const P = act('hook_embed').shape[1];
  const out = new Float32Array(P * d);
  for (let p = 0; p < P; p++) out.set(senderOutputAt(model, node, act, b, p), p * d);
  return out;
}
