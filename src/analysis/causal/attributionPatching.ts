/**
 * Attribution patching (Nanda 2023; Syed et al. 2023): the first-order approximation of activation
 * patching. With the run's activations `a`, the source run's `a'` and the gradient `g = ∂M/∂a` of the
 * run's metric M (any metric of `metrics.ts`: logit difference by default, action probability, KL,
 * DTI's neuron metric, RTG; one backward pass through `src/train/backward.ts` seeded by
 * `metricOutputGrads`), patching the elements a sweep row selects changes M by about
 * `Σ (a'_i − a_i) g_i`. Every row of every activation-patching
 * sweep (`patchSweepRows`: the same rows `activationPatching` runs) comes from the pair's two cached
 * forwards and one backward: no run per row.
 *
 * Modes as activation patching: `noise` runs clean and patches corrupted activations in; `denoise` the
 * reverse. Scores are DTI's normalisation `(M_patched − M_run) / (M_source − M_run)`.
 * `compareWithPatching` runs the real sweeps (`activationPatching`, one batched sweep) and reports the
 * error: Pearson correlation and worst cells.
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { backward } from '../../train/backward.ts';
import type { JobControl } from '../jobs.ts';
import { pearsonMatrix } from '../scans/clustering.ts';
import { selectedOffsets } from './apply.ts';
import { hookRowShape } from './intervention.ts';
import { metricOutputGrads } from './metricGradients.ts';
import { type MetricSpec, metricReader, recovery } from './metrics.ts';
import {
  type PatchAxis,
  type PatchMode,
  type PatchPair,
  type PatchSweepRequest,
  activationPatching,
  patchSweepRows,
} from './patching.ts';

export interface AttributionResult {
  sweep: PatchSweepRequest;
  mode: PatchMode;
  /** The metric's label, e.g. "logit difference left − right" */
  metric: string;
  axes: PatchAxis[];
  shape: number[];
  /** First-order normalised score per sweep row (C order over `axes`) */
  attribution: Float64Array;
}

export interface AttributionComparison extends AttributionResult {
  /** The real patched score per row */
  actual: Float64Array;
  /** Pearson correlation of attribution and actual (0 if either is constant) */
  correlation: number;
  /** Largest |attribution − actual|, worst first (at most 5), labelled by their axes */
  worst: { cell: string; attribution: number; actual: number; error: number }[];
}

/**
 * ∂metric/∂activation at every hook point of `run` (one of the pair's two runs; `metric` read at the last
 * position, its direction and reference from the clean run): one backward pass.
 */
export function metricActivationGrads(
  model: DecisionTransformer,
  pair: PatchPair,
  run: RunResult,
  metric: MetricSpec,
): Map<string, Tensor> {
  return backward(model, run.cache!, metricOutputGrads(model, metric, run, pair.clean), {
    noActions: pair.cleanInputs.actions === null,
  }).activationGrads;
}

/**
 * First-order scores of every requested sweep: one backward pass of `metric` (default: the logit
 * difference left − right) from the run's cached forward.
 */
export function attributionPatching(
  model: DecisionTransformer,
  pair: PatchPair,
  mode: PatchMode,
  requests: readonly PatchSweepRequest[],
  metric: MetricSpec = { kind: 'logit-diff' },
): AttributionResult[] {
  check(requests.length > 0, 'BAD_INPUT', 'no patching sweep was requested');
  const [run, src] = mode === 'noise' ? [pair.clean, pair.corrupted] : [pair.corrupted, pair.clean];
  const reader = metricReader(model, metric, pair.clean);
  const [vRun, vSource] = [reader.read(run, 0), reader.read(src, 0)];
  const P = pair.cleanTokens.shape[1];
  const grads = metricActivationGrads(model, pair, run, metric);
  return requests.map((sweep) => {
    const { axes, rows } = patchSweepRows(sweep, model.arch, pair.tokenLabels, 'source');
    const attribution = Float64Array.from(rows, (row) => {
      let s = 0;
      for (const iv of row) {
        const g = grads.get(iv.hook);
        check(g !== undefined, 'BAD_INPUT', () => `attribution patching has no gradient at ${iv.hook}`);
        const a = run.cache!.get(iv.hook).data;
        const b = src.cache!.get(iv.hook).data;
        for (const o of selectedOffsets(iv, hookRowShape(iv.hook, model.arch, P)))
          s += (b[o] - a[o]) * g!.data[o];
      }
      return recovery(vRun + s, vRun, vSource);
    });
    return { sweep, mode, metric: reader.label, axes, shape: axes.map((a) => a.labels.length), attribution };
  });
}

/** Real activation patching of the same sweeps (with the same `metric`) and the error of the first-order scores. */
export async function compareWithPatching(
  model: DecisionTransformer,
  pair: PatchPair,
  results: readonly AttributionResult[],
  metric: MetricSpec = { kind: 'logit-diff' },
  control?: JobControl,
): Promise<AttributionComparison[]> {
  if (results.length === 0) return [];
  const mode = results[0].mode;
  const real = await activationPatching(
    model,
    pair,
    mode,
    results.map((r) => r.sweep),
    { ...control, metric },
  );
  return results.map((r, k) => {
    const actual = Float64Array.from(real[k].score);
    const cell = (i: number) => {
      let rest = i;
      const parts: string[] = [];
      for (let a = r.axes.length - 1; a >= 0; a--) {
        const n = r.axes[a].labels.length;
        parts.unshift(`${r.axes[a].name} ${r.axes[a].labels[rest % n]}`);
        rest = Math.floor(rest / n);
      }
      return parts.join(', ');
    };
    const worst = Array.from(actual, (v, i) => ({
      cell: cell(i),
      attribution: r.attribution[i],
      actual: v,
      error: Math.abs(r.attribution[i] - v),
    }))
      .sort((a, b) => b.error - a.error)
      .slice(0, 5);
    const correlation = pearsonMatrix([Array.from(r.attribution), Array.from(actual)]).values[0][1];
    return { ...r, actual, correlation, worst };
  });
}
