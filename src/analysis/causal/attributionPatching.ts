/**
 * Attribution patching (Nanda 2023; Syed et al. 2023): the first-order approximation of activation
 * patching. With the base run's activations `a`, the source run's `a'` and the gradient `g = ∂LD/∂a`
 * of the base run's logit difference (one backward pass, `src/train/backward.ts`), patching node n
 * changes LD by about `Σ_{i ∈ n} (a'_i − a_i) g_i`. Every node of every sweep comes from the same
 * two cached forwards (the pair) and one backward: no run per node.
 *
 * Direction: `noise` (DTI's default) runs clean and patches corrupted activations in; `denoise` runs
 * corrupted and patches clean ones in. Both report the normalised change DTI plots,
 * `(LD_patched − LD_base) / (LD_source − LD_base)` (1 = the whole difference moved).
 * `compareWithPatching` runs the real sweep (one batched `runSweep`) and reports the error: Pearson
 * correlation, worst cells.
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { backward } from '../../train/backward.ts';
import type { JobControl } from '../jobs.ts';
import { pearsonMatrix } from '../scans/clustering.ts';
import { selectedOffsets } from './apply.ts';
import { hookRowShape } from './intervention.ts';
import { type PreparedPair, lastLogitDiffs } from './pair.ts';
import type { NodeSet } from './pathNodes.ts';
import { runSweep } from './sweep.ts';

export type PatchDirection = 'noise' | 'denoise';

export interface AttributionGrid {
  shape: number[];
  labels: string[];
  /** [nodes] first-order normalised change */
  attribution: Float64Array;
}

export interface AttributionComparison extends AttributionGrid {
  /** [nodes] the real patched normalised change */
  actual: Float64Array;
  /** Pearson correlation of attribution and actual (NaN if either is constant) */
  correlation: number;
  /** Largest |attribution − actual|, worst first (at most 5) */
  worst: { label: string; attribution: number; actual: number; error: number }[];
}

/** Base and source caches and logit differences of a direction. */
function sides(pair: PreparedPair, direction: PatchDirection) {
  const noise = direction === 'noise';
  return {
    base: noise ? pair.clean : pair.corrupted,
    source: noise ? pair.corrupted : pair.clean,
    baseLd: noise ? pair.cleanLogitDiff : pair.corruptedLogitDiff,
    sourceLd: noise ? pair.corruptedLogitDiff : pair.cleanLogitDiff,
  };
}

/** ∂LD/∂activation of the base run at every hook point (one backward pass). */
export function logitDiffGradients(
  model: DecisionTransformer,
  pair: PreparedPair,
  direction: PatchDirection = 'noise',
): Map<string, Tensor> {
  const { base } = sides(pair, direction);
  const [, P, d] = pair.tokens.shape;
  const dOut = new Float32Array(P * d);
  dOut.set(pair.direction.vector, (P - 1) * d);
  return backward(model, base, { transformerOut: new Tensor(dOut, [1, P, d]) }, { noActions: pair.noActions })
    .activationGrads;
}

/** First-order normalised change of patching each node of `nodes` (gradients from `logitDiffGradients`). */
export function attributionPatch(
  model: DecisionTransformer,
  pair: PreparedPair,
  nodes: NodeSet,
  grads: Map<string, Tensor>,
  direction: PatchDirection = 'noise',
): AttributionGrid {
  const { base, source, baseLd, sourceLd } = sides(pair, direction);
  const P = pair.tokens.shape[1];
  const attribution = Float64Array.from(nodes.nodes, (n) => {
    const g = grads.get(n.hook);
    check(g !== undefined, 'BAD_INPUT', () => `attribution patching has no gradient at ${n.hook}`);
    const a = base.get(n.hook).data;
    const b = source.get(n.hook).data;
    let s = 0;
    for (const o of selectedOffsets(
      { hook: n.hook, op: { kind: 'zero' }, where: n.where },
      hookRowShape(n.hook, model.arch, P),
    ))
      s += (b[o] - a[o]) * g!.data[o];
    return s / (sourceLd - baseLd);
  });
  return { shape: nodes.shape, labels: nodes.nodes.map((n) => n.label), attribution };
}

/** Real activation patching of the same nodes (one batched sweep) and the error of the approximation. */
export async function compareWithPatching(
  model: DecisionTransformer,
  pair: PreparedPair,
  grid: AttributionGrid,
  nodes: NodeSet,
  direction: PatchDirection = 'noise',
  control?: JobControl,
): Promise<AttributionComparison> {
  const { source, baseLd, sourceLd } = sides(pair, direction);
  const actual = new Float64Array(nodes.nodes.length);
  await runSweep(
    model,
    { tokens: direction === 'noise' ? pair.tokens : pair.corruptedTokens, noActions: pair.noActions },
    nodes.nodes.map((n) => [
      { hook: n.hook, op: { kind: 'set' as const, source: 'source' }, where: n.where },
    ]),
    (run, rows) =>
      lastLogitDiffs(run.transformerOut, pair.direction.vector).forEach(
        (ld, i) => (actual[rows[i]] = (ld - baseLd) / (sourceLd - baseLd)),
      ),
    { ...control, sources: { source } },
  );
  const correlation = pearsonMatrix([Array.from(grid.attribution), Array.from(actual)]).values[0][1];
  const worst = grid.labels
    .map((label, i) => ({
      label,
      attribution: grid.attribution[i],
      actual: actual[i],
      error: Math.abs(grid.attribution[i] - actual[i]),
    }))
    .sort((a, b) => b.error - a.error)
    .slice(0, 5);
  return { ...grid, actual, correlation, worst };
}
