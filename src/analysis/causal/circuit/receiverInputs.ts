/**
 * The inputs a chunk of edge-patched rows gives its receivers (`edgePatch.ts`): per batch row, the
 * correction δ = Σ over the receiver's patched edges of `out_s(current) − out_s(corrupted)` at the edges'
 * positions, and the receiver input recomputed from `x − δ` (its layer norm; for a head, its own q/k/v
 * projection). Sender differences are computed once per (row, sender, position), from what the run's
 * hooks captured so far; positions where a sender is equal in both runs are left alone.
 */
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import type { LayerNormWeights } from '../../../model/weights.ts';
import { applyLayerNorm, layerNormStats } from '../../../tensor/ops.ts';
import { Tensor } from '../../../tensor/tensor.ts';
import type { CircuitEdge, CircuitGraph, ReceiverNode } from './graph.ts';
import { type ActivationLookup, senderOutputAt } from './senders.ts';

/** One row's patched edges, grouped by receiver. */
export type RowPatches = Map<number, CircuitEdge[]>;

/** Each row's patched edges (indices into `graph.edges`) grouped by receiver. */
export function groupByReceiver(graph: CircuitGraph, rows: readonly (readonly number[])[]): RowPatches[] {
  return rows.map((row) => {
    const byReceiver: RowPatches = new Map();
    for (const e of row) {
      const edge = graph.edges[e];
      const list = byReceiver.get(edge.receiver);
      if (list) list.push(edge);
      else byReceiver.set(edge.receiver, [edge]);
    }
    return byReceiver;
  });
}

/** The hook where a receiver's input is replaced. */
export function receiverHook(model: DecisionTransformer, r: ReceiverNode): string {
  const L = model.arch.nLayers;
  const norm = model.arch.normalization !== null;
  if (r.kind === 'head') return `blocks.${r.layer}.attn.hook_${r.input}`;
  if (r.kind === 'mlp')
    return norm ? `blocks.${r.layer}.ln2.hook_normalized` : `blocks.${r.layer}.hook_resid_mid`;
  return norm ? 'ln_final.hook_normalized' : `blocks.${L - 1}.hook_resid_post`;
}

/** The residual a receiver reads (before its LN), as captured in the current run. */
function receiverResidual(model: DecisionTransformer, r: ReceiverNode): string {
  if (r.kind === 'head') return `blocks.${r.layer}.hook_resid_pre`;
  if (r.kind === 'mlp') return `blocks.${r.layer}.hook_resid_mid`;
  return `blocks.${model.arch.nLayers - 1}.hook_resid_post`;
}

/** The layer norm in front of a receiver (undefined for LNPre; the model has one iff normalization). */
function receiverNorm(model: DecisionTransformer, r: ReceiverNode): LayerNormWeights | undefined {
  if (model.arch.normalization !== 'LN') return undefined;
  if (r.kind === 'output') return model.weights.lnFinal;
  return r.kind === 'head' ? model.weights.blocks[r.layer].ln1 : model.weights.blocks[r.layer].ln2;
}

/** The patched receiver inputs of one chunk of rows (one instance per batched run). */
export class PatchedInputs {
  /** Activations the run's hooks captured so far, by hook name */
  readonly captured = new Map<string, Tensor>();
  private readonly diffs: (Float32Array | null | undefined)[];
  private readonly d: number;
  private readonly P: number;

  constructor(
    private readonly model: DecisionTransformer,
    private readonly graph: CircuitGraph,
    /** Each sender's contribution in the corrupted run, [P * d] */
    private readonly corrupted: readonly Float32Array[],
    /** The corrupted run's activations (its residual stream) */
    private readonly corruptedRun: ActivationLookup,
    private readonly patches: readonly RowPatches[],
  ) {
    this.d = model.arch.dModel;
    this.P = graph.nTokens;
    this.diffs = new Array(patches.length * graph.senders.length * this.P);
  }

  /** out_s(current) − out_s(corrupted) of row b at position p, [d]; null where they are equal. */
  private diff(b: number, s: number, p: number): Float32Array | null {
    const { d } = this;
    const key = (b * this.graph.senders.length + s) * this.P + p;
    let v = this.diffs[key];
    if (v === undefined) {
      v = senderOutputAt(this.model, this.graph.senders[s].node, (h) => this.captured.get(h)!, b, p);
      let zero = true;
      for (let j = 0; j < d; j++) zero = (v[j] -= this.corrupted[s][p * d + j]) === 0 && zero;
      this.diffs[key] = v = zero ? null : v;
    }
    return v;
  }

  /**
   * δ of receiver r in row b at the positions it touches (sorted; none: nothing to change) as
   * `[touched, d]` (float64). When most of r's edges are patched it is computed from the kept ones: the residual r
   * reads is the sum of its upstream senders (plus biases both runs share), so
   * `δ = (x_current − x_corrupted) − Σ_kept (out_s(current) − out_s(corrupted))` (equal up to the float32
   * rounding of the residual stream, ~1e-5 of the metric; much faster late in ACDC).
   */
  delta(b: number, r: number): { delta: Float64Array; touched: number[] } {
    const { d, P } = this;
    const patched = this.patches[b].get(r) ?? [];
    const incoming = this.graph.incoming[r];
    const complement = 2 * patched.length > incoming.length;
    const parts: { p: number; v: ArrayLike<number>; sign: number }[] = [];
    const add = (edges: readonly CircuitEdge[], sign: number) => {
      for (const e of edges)
        for (let p = e.position ?? 0; p < (e.position === null ? P : e.position + 1); p++) {
          const v = this.diff(b, e.sender, p);
          if (v !== null) parts.push({ p, v, sign });
        }
    };
    if (complement) {
      const node = this.graph.receivers[r].node;
      const name = receiverResidual(this.model, node);
      const x = this.captured.get(name)!.data;
      const xc = this.corruptedRun(name).data;
      for (let p = 0; p < P; p++) {
        const v = new Float64Array(d);
        let zero = true;
        for (let j = 0; j < d; j++) zero = (v[j] = x[(b * P + p) * d + j] - xc[p * d + j]) === 0 && zero;
        if (!zero) parts.push({ p, v, sign: 1 });
      }
      const skip = new Set(patched);
      add(
        incoming.map((i) => this.graph.edges[i]).filter((e) => !skip.has(e)),
        -1,
      );
    } else add(patched, 1);
    const touched = [...new Set(parts.map((x) => x.p))].sort((x, y) => x - y);
    const row = new Int32Array(P);
    touched.forEach((p, i) => (row[p] = i));
    const delta = new Float64Array(touched.length * d);
    for (const { p, v, sign } of parts) {
      const o = row[p] * d;
      for (let j = 0; j < d; j++) delta[o + j] += sign * v[j];
    }
    return { delta, touched };
  }

  /** LN(x − δ) of receiver r at the touched positions of row b (x − δ without LN): [touched, d]. */
  normalized(b: number, r: number, touched: readonly number[], delta: Float64Array): Float32Array {
    const { d, P, model } = this;
    const node = this.graph.receivers[r].node;
    const x = this.captured.get(receiverResidual(model, node))!.data;
    const rowsIn = new Float32Array(touched.length * d);
    touched.forEach((p, i) => {
      for (let j = 0; j < d; j++) rowsIn[i * d + j] = x[(b * P + p) * d + j] - delta[i * d + j];
    });
    if (model.arch.normalization === null) return rowsIn;
    const t = new Tensor(rowsIn, [touched.length, d]);
    const { mean, scale } = layerNormStats(t);
    return applyLayerNorm(t, mean, scale, receiverNorm(model, node)).data;
  }

  /** Writes a head's q/k/v recomputed from `LN1(x − δ)` into `out` [B, P, H, dh] at row b. */
  writeHeadInput(out: Tensor, b: number, r: number, touched: readonly number[], delta: Float64Array): void {
    const node = this.graph.receivers[r].node;
    if (node.kind !== 'head') return;
    const { d, P, model } = this;
    const { nHeads: H, dHead: dh } = model.arch;
    const attn = model.weights.blocks[node.layer].attn;
    const h = node.head;
    const W = { q: attn.W_Q, k: attn.W_K, v: attn.W_V }[node.input].data;
    const bias = { q: attn.b_Q, k: attn.b_K, v: attn.b_V }[node.input].data;
    const xn = this.normalized(b, r, touched, delta);
    const proj = model.gemm.matmul(xn, W.subarray(h * d * dh, (h + 1) * d * dh), touched.length, d, dh);
    touched.forEach((p, i) => {
      const o = ((b * P + p) * H + h) * dh;
      for (let e = 0; e < dh; e++) out.data[o + e] = proj[i * dh + e] + bias[h * dh + e];
    });
  }
}
