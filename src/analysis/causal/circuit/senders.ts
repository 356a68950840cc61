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

/** The sender's contribution to the residual stream of batch row `b`: a new [P * d] array. */
export function senderOutput(
  model: DecisionTransformer,
  node: SenderNode,
  act: ActivationLookup,
  b: number,
): Float32Array {
  const d = model.arch.dModel;
  const rowOf = (hook: string) => {
    const t = act(hook);
    const n = t.size / t.shape[0];
    return t.data.slice(b * n, (b + 1) * n);
  };
  if (node.kind === 'pos') return rowOf('hook_pos_embed');
  if (node.kind === 'mlp') return rowOf(`blocks.${node.layer}.hook_mlp_out`);
  if (node.kind === 'embed') {
    const out = rowOf('hook_embed');
    for (let p = 0; p < out.length / d; p++) if (tokenKind(p) !== node.token) out.fill(0, p * d, (p + 1) * d);
    return out;
  }
  const { nHeads: H, dHead: dh } = model.arch;
  const z = act(`blocks.${node.layer}.attn.hook_z`); // [B, P, H, dh]
  const P = z.shape[1];
  const W = model.weights.blocks[node.layer].attn.W_O.data; // [H, dh, d]
  const out = new Float32Array(P * d);
  for (let p = 0; p < P; p++) {
    const zo = ((b * P + p) * H + node.head) * dh;
    for (let e = 0; e < dh; e++) {
      const ze = z.data[zo + e];
      const wo = (node.head * dh + e) * d;
      for (let j = 0; j < d; j++) out[p * d + j] += ze * W[wo + j];
    }
  }
  return out;
}
