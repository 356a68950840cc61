/**
 * Every activation-patching sweep of DTI's app and of TransformerLens 1.2.2's `patching` module, under
 * the names of the golden manifest: `tl.<fn>` (`resid_pre`, `resid_mid`, `attn_out`, `mlp_out`,
 * `attn_head_out_all_pos`, `attn_head_out_by_pos`) and `dti.<fn>` (`resid_pre`, `block_every`,
 * `attn_head_out_all_pos`, `attn_head_all_pos_every`, `attn_head_by_pos_every`, `mlp_neurons.L<l>`).
 * Where TL and DTI compute the same quantity it is computed once (with TL's explicit positions both
 * agree, `golden/README.md`) and sliced: one batched sweep of
 * block_every + resid_mid + head_all_pos_every + head_by_pos_every + one neuron sweep per layer.
 */
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import {
  type PatchMode,
  type PatchPair,
  type PatchingOptions,
  type PatchingResult,
  type PatchSweepRequest,
  activationPatching,
} from './patching.ts';

/** Result `r` restricted to index `i` of its first axis. */
export function firstAxisSlice(r: PatchingResult, i: number): PatchingResult {
  const n = r.score.length / r.shape[0];
  const part = (a: Float32Array) => a.slice(i * n, (i + 1) * n);
  return {
    ...r,
    axes: r.axes.slice(1),
    shape: r.shape.slice(1),
    score: part(r.score),
    patched: part(r.patched),
    ...(r.extra && { extra: { ...r.extra, patched: part(r.extra.patched) } }),
  };
}

/** The suite's results by name (`tl.resid_pre`, `dti.block_every`, ...), in a stable order. */
export async function patchingSuite(
  model: DecisionTransformer,
  pair: PatchPair,
  mode: PatchMode,
  options: PatchingOptions = {},
): Promise<Map<string, PatchingResult>> {
  const L = model.arch.nLayers;
  const requests: PatchSweepRequest[] = [
    { kind: 'block_every' },
    { kind: 'resid_mid' },
    { kind: 'head_all_pos_every' },
    { kind: 'head_by_pos_every' },
    ...Array.from({ length: L }, (_, layer): PatchSweepRequest => ({ kind: 'mlp_neurons', layer })),
  ];
  const [block, mid, headAll, headByPos, ...neurons] = await activationPatching(
    model,
    pair,
    mode,
    requests,
    options,
  );
  const named = new Map<string, PatchingResult>([
    ['tl.resid_pre', firstAxisSlice(block, 0)],
    ['tl.resid_mid', mid],
    ['tl.attn_out', firstAxisSlice(block, 1)],
    ['tl.mlp_out', firstAxisSlice(block, 2)],
    ['tl.attn_head_out_all_pos', firstAxisSlice(headAll, 0)],
    ['tl.attn_head_out_by_pos', firstAxisSlice(headByPos, 0)],
    ['dti.resid_pre', firstAxisSlice(block, 0)],
    ['dti.block_every', block],
    ['dti.attn_head_out_all_pos', firstAxisSlice(headAll, 0)],
    ['dti.attn_head_all_pos_every', headAll],
    ['dti.attn_head_by_pos_every', headByPos],
  ]);
  neurons.forEach((r, l) => named.set(`dti.mlp_neurons.L${l}`, r));
  return named;
}
