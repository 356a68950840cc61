/**
 * Edge attribution patching (Syed et al. 2023; `interp_anchors.md` §3): the first-order estimate of
 * patching one edge, `(out_s(corrupted) − out_s(clean)) · ∂m/∂(receiver input)`, for every edge of the
 * graph from the pair's two cached forwards and one backward pass of the clean run (`metricActivationGrads`),
 * for any metric m of `metrics.ts` (KL's gradient vanishes at the clean run: its estimates are all 0).
 *
 * A receiver's input gradient is the gradient at the residual copy it reads: for a head's q/k/v input
 * `LN1ᵀ(∂LD/∂q[h] · W_Q[h]ᵀ)` (the backward of that head's own projection and layer norm), for an MLP
 * the backward of ln2 at `ln2.hook_normalized` (without LN: ∂/∂resid_mid − ∂/∂resid_post), for the
 * output the gradient at the last `hook_resid_post` (what ln_final's backward gives).
 */
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import type { Tensor } from '../../../tensor/tensor.ts';
import { layerNormBackward } from '../../../train/grad/layerNorm.ts';
import { metricActivationGrads } from '../attributionPatching.ts';
import type { MetricSpec } from '../metrics.ts';
import type { PatchPair } from '../patching.ts';
import type { CircuitGraph, ReceiverNode } from './graph.ts';
import { senderOutput } from './senders.ts';

/** ∂m/∂(the residual a receiver reads), [P * d]. */
function receiverGradient(
  model: DecisionTransformer,
  pair: PatchPair,
  grads: Map<string, Tensor>,
  r: ReceiverNode,
): Float32Array {
  const { arch, weights } = model;
  const d = arch.dModel;
  const L = arch.nLayers;
  const cache = pair.clean.cache!;
  const lnBackward = (prefix: string, resid: string, dy: Float32Array, w?: Float32Array) =>
    layerNormBackward(
      cache.get(resid).data,
      cache.get(`${prefix}.hook_scale`).data,
      dy,
      d,
      arch.normalization === 'LN' ? { w: w! } : undefined,
    );
  if (r.kind === 'output') return grads.get(`blocks.${L - 1}.hook_resid_post`)!.data;
  if (r.kind === 'mlp') {
    const p = `blocks.${r.layer}`;
    if (arch.normalization === null) {
      const mid = grads.get(`${p}.hook_resid_mid`)!.data;
      const post = grads.get(`${p}.hook_resid_post`)!.data;
      return mid.map((v, i) => v - post[i]);
    }
    const dy = grads.get(`${p}.ln2.hook_normalized`)!.data;
    return lnBackward(`${p}.ln2`, `${p}.hook_resid_mid`, dy, weights.blocks[r.layer].ln2?.w);
  }
  const { nHeads: H, dHead: dh } = arch;
  const p = `blocks.${r.layer}`;
  const attn = weights.blocks[r.layer].attn;
  const W = { q: attn.W_Q, k: attn.W_K, v: attn.W_V }[r.input].data; // [H, d, dh]
  const g = grads.get(`${p}.attn.hook_${r.input}`)!.data; // [1, P, H, dh]
  const P = g.length / (H * dh);
  const dx = new Float32Array(P * d);
  for (let pos = 0; pos < P; pos++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let e = 0; e < dh; e++) s += g[(pos * H + r.head) * dh + e] * W[(r.head * d + j) * dh + e];
      dx[pos * d + j] = s;
    }
  if (arch.normalization === null) return dx;
  return lnBackward(`${p}.ln1`, `${p}.hook_resid_pre`, dx, weights.blocks[r.layer].ln1?.w);
}

/**
 * First-order change of the metric when each edge alone is patched (raw units, one value per
 * `graph.edges` entry): Σ over the edge's positions of `(out_s(corrupted) − out_s(clean)) · g_r`.
 */
export function edgeAttribution(
  model: DecisionTransformer,
  pair: PatchPair,
  graph: CircuitGraph,
  metric: MetricSpec,
): Float64Array {
  const d = model.arch.dModel;
  const P = graph.nTokens;
  const grads = metricActivationGrads(model, pair, pair.clean, metric);
  const diffs = graph.senders.map((s) => {
    const clean = senderOutput(model, s.node, (h) => pair.clean.cache!.get(h), 0);
    const corrupted = senderOutput(model, s.node, (h) => pair.corrupted.cache!.get(h), 0);
    return corrupted.map((v, i) => v - clean[i]);
  });
  const gradients = graph.receivers.map((r) => receiverGradient(model, pair, grads, r.node));
  return Float64Array.from(graph.edges, (e) => {
    const u = diffs[e.sender];
    const g = gradients[e.receiver];
    let s = 0;
    for (let p = 0; p < P; p++) {
      if (e.position !== null && e.position !== p) continue;
      for (let j = p * d; j < (p + 1) * d; j++) s += u[j] * g[j];
    }
    return s;
  });
}
