/**
 * Real edge patching (ACDC's intervention): in a run of the clean window, a patched edge
 * `sender -> receiver` makes the receiver read the sender's contribution from the corrupted run instead
 * of the current one, while every other reader of that sender keeps the current value. With `x` the
 * residual the receiver would read, its input becomes `x − Σ_patched (out_s(current) − out_s(corrupted))`
 * (over the edge's position, or all positions), computed in the run's own hooks:
 *
 * - head inputs: `attn.hook_q|k|v` of that head is recomputed as `LN1(x') · W[h] + b[h]` at the touched
 *   positions (each head reads its own copy of the residual, TransformerLens's split q/k/v input);
 * - MLP inputs: `ln2.hook_normalized` becomes `LN2(x')` (models without LN: `hook_resid_mid` − δ for
 *   the MLP, with δ added back to `hook_mlp_out` so the residual stream itself is unchanged);
 * - the output: `ln_final.hook_normalized` becomes `LN_final(x')` (without LN: the last `hook_resid_post`).
 *
 * Senders' current values are the run's own (`senders.ts` on the captured activations), so patching
 * upstream edges propagates. Each batch row has its own set of patched edges; rows run in chunks
 * (`forEachChunk`: progress and cancel). A row patching nothing is the clean run.
 */
import { check } from '../../../errors.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import type { Hook } from '../../../model/hooks.ts';
import type { LayerNormWeights } from '../../../model/weights.ts';
import { applyLayerNorm, layerNormStats } from '../../../tensor/ops.ts';
import { Tensor } from '../../../tensor/tensor.ts';
import { type JobControl, forEachChunk } from '../../jobs.ts';
import type { MetricReader } from '../metrics.ts';
import type { PatchPair } from '../patching.ts';
import type { CircuitEdge, CircuitGraph, ReceiverNode } from './graph.ts';
import { senderOutput, senderOutputAt } from './senders.ts';

/** One row's patched edges, grouped by receiver. */
type RowPatches = Map<number, CircuitEdge[]>;

/** `t` [1, ...] repeated n times along the batch axis. */
function repeatRows(t: Tensor, n: number): Tensor {
  const out = new Float32Array(t.size * n);
  for (let i = 0; i < n; i++) out.set(t.data, i * t.size);
  return new Tensor(out, [n, ...t.shape.slice(1)]);
}

/** The hook where a receiver's input is replaced. */
function receiverHook(model: DecisionTransformer, r: ReceiverNode): string {
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

/**
 * The metric of each row of the clean window with that row's edges patched (edge indices into
 * `graph.edges`), in chunks of `control.chunkRows` rows.
 */
export async function edgePatchedValues(
  model: DecisionTransformer,
  pair: PatchPair,
  graph: CircuitGraph,
  rows: readonly (readonly number[])[],
  reader: MetricReader,
  control?: JobControl,
): Promise<Float64Array> {
  const { arch } = model;
  const d = arch.dModel;
  const P = pair.cleanTokens.shape[1];
  check(
    P === graph.nTokens,
    'BAD_SHAPE',
    () => `the circuit graph is for windows of ${graph.nTokens} tokens, the pair has ${P}`,
  );
  for (const row of rows)
    for (const e of row)
      check(
        Number.isInteger(e) && e >= 0 && e < graph.edges.length,
        'BAD_INPUT',
        `no edge ${e} in the graph`,
      );
  const corrupted = graph.senders.map((s) =>
    senderOutput(model, s.node, (h) => pair.corrupted.cache!.get(h), 0),
  );
  const values = new Float64Array(rows.length);
  const allPositions = Array.from({ length: P }, (_, p) => p);
  await forEachChunk(rows.length, control, (start, end) => {
    const B = end - start;
    const patches: RowPatches[] = rows.slice(start, end).map((row) => {
      const byReceiver: RowPatches = new Map();
      for (const e of row) {
        const edge = graph.edges[e];
        const list = byReceiver.get(edge.receiver);
        if (list) list.push(edge);
        else byReceiver.set(edge.receiver, [edge]);
      }
      return byReceiver;
    });
    const captured = new Map<string, Tensor>();
    const nSenders = graph.senders.length;
    const diffs: (Float32Array | null | undefined)[] = new Array(B * nSenders * P);
    /** out_s(current) − out_s(corrupted) of row b at position p, [d]; null where they are equal. */
    const diff = (b: number, s: number, p: number): Float32Array | null => {
      const key = (b * nSenders + s) * P + p;
      let v = diffs[key];
      if (v === undefined) {
        v = senderOutputAt(model, graph.senders[s].node, (h) => captured.get(h)!, b, p);
        let zero = true;
        for (let j = 0; j < d; j++) zero = (v[j] -= corrupted[s][p * d + j]) === 0 && zero;
        diffs[key] = v = zero ? null : v;
      }
      return v;
    };
    /** δ of receiver r in row b and the positions it touches (none if r has no patched edge there). */
    const deltaOf = (b: number, r: number) => {
      const delta = new Float32Array(P * d);
      const touched = new Set<number>();
      for (const e of patches[b].get(r) ?? [])
        for (const p of e.position === null ? allPositions : [e.position]) {
          const v = diff(b, e.sender, p);
          if (v === null) continue; // a sender equal in both runs at p changes nothing there
          touched.add(p);
          for (let j = 0; j < d; j++) delta[p * d + j] += v[j];
        }
      return { delta, touched: [...touched].sort((x, y) => x - y) };
    };
    /** LN(x − δ) of receiver r at the touched positions of row b: [touched, d]. */
    const normalizedInput = (b: number, r: number, touched: number[], delta: Float32Array) => {
      const node = graph.receivers[r].node;
      const x = captured.get(receiverResidual(model, node))!.data;
      const rowsIn = new Float32Array(touched.length * d);
      touched.forEach((p, i) => {
        for (let j = 0; j < d; j++) rowsIn[i * d + j] = x[(b * P + p) * d + j] - delta[p * d + j];
      });
      const t = new Tensor(rowsIn, [touched.length, d]);
      if (arch.normalization === null) return rowsIn;
      const { mean, scale } = layerNormStats(t);
      return applyLayerNorm(t, mean, scale, receiverNorm(model, node)).data;
    };

    const active = new Set(patches.flatMap((m) => [...m.keys()]));
    const byHook = new Map<string, number[]>();
    for (const r of active) {
      const hook = receiverHook(model, graph.receivers[r].node);
      byHook.set(hook, [...(byHook.get(hook) ?? []), r]);
    }
    const captureNames = new Set(['hook_embed', 'hook_pos_embed']);
    for (let l = 0; l < arch.nLayers; l++)
      for (const h of ['attn.hook_z', 'hook_mlp_out', 'hook_resid_pre', 'hook_resid_mid', 'hook_resid_post'])
        captureNames.add(`blocks.${l}.${h}`);
    const hooks: Hook[] = [{ name: [...captureNames], fn: (t, c) => void captured.set(c.name, t) }];
    // Models without LN: δ taken off an MLP's input is added back to its output (per row).
    const mlpDeltas = new Map<string, Float32Array>();
    for (const [hook, receivers] of byHook)
      hooks.push({
        name: hook,
        fn: (t) => {
          const out = t.clone();
          for (let b = 0; b < B; b++)
            for (const r of receivers) {
              const node = graph.receivers[r].node;
              const { delta, touched } = deltaOf(b, r);
              if (touched.length === 0) continue;
              if (node.kind === 'head') {
                const { nHeads: H, dHead: dh } = arch;
                const attn = model.weights.blocks[node.layer].attn;
                const h = node.head;
                const W = { q: attn.W_Q, k: attn.W_K, v: attn.W_V }[node.input].data;
                const bias = { q: attn.b_Q, k: attn.b_K, v: attn.b_V }[node.input].data;
                const xn = normalizedInput(b, r, touched, delta);
                const proj = model.gemm.matmul(
                  xn,
                  W.subarray(h * d * dh, (h + 1) * d * dh),
                  touched.length,
                  d,
                  dh,
                );
                touched.forEach((p, i) => {
                  const o = ((b * P + p) * H + h) * dh;
                  for (let e = 0; e < dh; e++) out.data[o + e] = proj[i * dh + e] + bias[h * dh + e];
                });
              } else if (arch.normalization !== null) {
                const xn = normalizedInput(b, r, touched, delta);
                touched.forEach((p, i) => out.data.set(xn.subarray(i * d, (i + 1) * d), (b * P + p) * d));
              } else {
                for (let i = 0; i < P * d; i++) out.data[b * P * d + i] -= delta[i];
                if (node.kind === 'mlp') mlpDeltas.set(`${node.layer}:${b}`, delta);
              }
            }
          return out;
        },
      });
    if (arch.normalization === null)
      hooks.push({
        name: (name) => /^blocks\.\d+\.hook_mlp_out$/.test(name),
        fn: (t, c) => {
          const layer = c.name.split('.')[1];
          const out = t.clone();
          for (let b = 0; b < B; b++) {
            const delta = mlpDeltas.get(`${layer}:${b}`);
            if (delta) for (let i = 0; i < P * d; i++) out.data[b * P * d + i] += delta[i];
          }
          return out;
        },
      });
    const result = model.runFromTokens(repeatRows(pair.cleanTokens, B), {
      hooks,
      cache: reader.cache,
      heads: reader.heads,
      noActions: pair.cleanInputs.actions === null,
    });
    for (let k = 0; k < B; k++) values[start + k] = reader.read(result, k);
  });
  return values;
}
