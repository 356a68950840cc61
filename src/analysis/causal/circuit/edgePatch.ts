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
import { type JobControl, forEachChunk } from '../../jobs.ts';
import type { Tensor } from '../../../tensor/tensor.ts';
import type { MetricReader } from '../metrics.ts';
import type { PatchPair } from '../patching.ts';
import { repeatRows } from '../sweep.ts';
import type { CircuitGraph } from './graph.ts';
import { PatchedInputs, groupByReceiver, receiverHook } from './receiverInputs.ts';
import { senderOutput } from './senders.ts';

/** The activations sender outputs and receiver residuals are read from. */
function captureNames(nLayers: number): string[] {
  const names = ['hook_embed', 'hook_pos_embed'];
  for (let l = 0; l < nLayers; l++)
    for (const h of ['attn.hook_z', 'hook_mlp_out', 'hook_resid_pre', 'hook_resid_mid', 'hook_resid_post'])
      names.push(`blocks.${l}.${h}`);
  return names;
}

/** `x[b, p] += sign · rows[i]` for the i-th of the positions `touched` (x [B, P, d], rows [touched, d]). */
function addAt(
  x: Tensor,
  b: number,
  P: number,
  touched: readonly number[],
  rows: Float64Array,
  sign: number,
) {
  const d = x.shape[x.rank - 1];
  touched.forEach((p, i) => {
    for (let j = 0; j < d; j++) x.data[(b * P + p) * d + j] += sign * rows[i * d + j];
  });
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
  await forEachChunk(rows.length, control, (start, end) => {
    const B = end - start;
    const patches = groupByReceiver(graph, rows.slice(start, end));
    const inputs = new PatchedInputs(model, graph, corrupted, (h) => pair.corrupted.cache!.get(h), patches);
    const byHook = new Map<string, number[]>();
    for (const r of new Set(patches.flatMap((m) => [...m.keys()]))) {
      const hook = receiverHook(model, graph.receivers[r].node);
      byHook.set(hook, [...(byHook.get(hook) ?? []), r]);
    }
    const hooks: Hook[] = [
      { name: captureNames(arch.nLayers), fn: (t, c) => void inputs.captured.set(c.name, t) },
    ];
    // Models without LN: δ taken off an MLP's input is added back to its output (per row).
    const mlpDeltas = new Map<string, { touched: number[]; delta: Float64Array }>();
    for (const [hook, receivers] of byHook)
      hooks.push({
        name: hook,
        fn: (t) => {
          const out = t.clone();
          for (let b = 0; b < B; b++)
            for (const r of receivers) {
              const node = graph.receivers[r].node;
              const { delta, touched } = inputs.delta(b, r);
              if (touched.length === 0) continue;
              if (node.kind === 'head') inputs.writeHeadInput(out, b, r, touched, delta);
              else if (arch.normalization !== null) {
                const xn = inputs.normalized(b, r, touched, delta);
                touched.forEach((p, i) => out.data.set(xn.subarray(i * d, (i + 1) * d), (b * P + p) * d));
              } else {
                addAt(out, b, P, touched, delta, -1);
                if (node.kind === 'mlp') mlpDeltas.set(`${node.layer}:${b}`, { touched, delta });
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
            const patched = mlpDeltas.get(`${layer}:${b}`);
            if (patched) addAt(out, b, P, patched.touched, patched.delta, 1);
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
