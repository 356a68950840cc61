/**
 * DTI's path-patching views (`show_path_patching`, plotted as `1 − m`): blocks × position -> final
 * residual `[3, L, P]`, heads -> final residual `[L, H]`, and "design your own" heads -> the last
 * MLP (the app's default) and -> the q, k or v input of every head of the last layer `[L, H]`.
 * Senders with no path to the receivers (a head of the last layer -> that layer's q) give the clean
 * run: metric 1, plotted 0, as in DTI, where patching a receiver with its own clean value is a no-op.
 * Each view is at most two batched sweeps over its whole sender set.
 */
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { PatchPair } from './patching.ts';
import { type NodeSet, blockSenders, headInput, headSenders } from './pathNodes.ts';
import { type PathNode, type PathPatchOptions, finalResidual, pathPatch } from './pathPatch.ts';

export interface PathGrid {
  /** Grid shape of `plotted` / `metric` (C order). */
  shape: number[];
  senders: string[];
  receivers: string[];
  /** DTI's plotted value 1 − m per sender */
  plotted: Float64Array;
  metric: Float64Array;
  /** raw metric of each path-patched run (e.g. its logit difference) */
  values: Float64Array;
  /** raw metric of the clean and corrupted runs, and its name */
  clean: number;
  corrupted: number;
  metricLabel: string;
}

export const DTI_PATH_VIEWS = [
  'block_every',
  'head_every',
  'z_to_last_mlp',
  'z_to_last_layer_q',
  'z_to_last_layer_k',
  'z_to_last_layer_v',
] as const;
export type DtiPathView = (typeof DTI_PATH_VIEWS)[number];

export interface DtiPathViewsResult {
  views: Record<DtiPathView, PathGrid>;
}

/** Path patching of a sender grid to receivers, receivers before a sender skipped (see `pathPatch`). */
export async function pathPatchGrid(
  model: DecisionTransformer,
  pair: PatchPair,
  senders: NodeSet,
  receivers: readonly PathNode[],
  options: PathPatchOptions = {},
): Promise<PathGrid> {
  const res = await pathPatch(model, pair, senders.nodes, receivers, { unreachable: 'skip', ...options });
  return { shape: senders.shape, ...res };
}

/** Every DTI view of a pair (six sender/receiver sets, each two batched passes at most). */
export async function dtiPathViews(
  model: DecisionTransformer,
  pair: PatchPair,
  control?: PathPatchOptions,
): Promise<DtiPathViewsResult> {
  const { arch } = model;
  const P = pair.cleanTokens.shape[1];
  const last = arch.nLayers - 1;
  const heads = headSenders(arch);
  const final = [finalResidual(arch)];
  const views = {
    block_every: await pathPatchGrid(model, pair, blockSenders(arch, P), final, control),
    head_every: await pathPatchGrid(model, pair, heads, final, control),
    z_to_last_mlp: await pathPatchGrid(
      model,
      pair,
      heads,
      [{ hook: `blocks.${last}.hook_mlp_out`, label: `mlp${last}` }],
      control,
    ),
    z_to_last_layer_q: await pathPatchGrid(model, pair, heads, [headInput(last, 'q')], control),
    z_to_last_layer_k: await pathPatchGrid(model, pair, heads, [headInput(last, 'k')], control),
    z_to_last_layer_v: await pathPatchGrid(model, pair, heads, [headInput(last, 'v')], control),
  };
  return { views };
}
