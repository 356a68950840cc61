/**
 * The data circuit discovery runs on: one clean/corrupted pair or a dataset of pairs (`patchPair` each,
 * all windows of one length). The metric (any of `metrics.ts`) is averaged over the pairs:
 * real edge patching runs every row on every pair (`edgePatchedValues`) and averages, EAP averages the
 * per-pair scores, and the normalisation uses the mean clean and mean corrupted values.
 */
import { check } from '../../../errors.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import type { JobControl } from '../../jobs.ts';
import { type MetricReader, type MetricSpec, metricReader } from '../metrics.ts';
import type { PatchPair } from '../patching.ts';
import { edgeAttribution } from './eap.ts';
import { edgePatchedValues } from './edgePatch.ts';
import type { CircuitGraph } from './graph.ts';

export interface CircuitData {
  pairs: readonly PatchPair[];
  readers: MetricReader[];
  metric: MetricSpec;
  /** Mean raw metric of the clean and of the corrupted runs */
  clean: number;
  corrupted: number;
  /** e.g. "logit difference left − right" */
  metricLabel: string;
  /** Token positions of every window */
  nTokens: number;
}

/**
 * Checks and summarises the pairs: at least one, one window length, and a corruption that moves the mean
 * metric (else BAD_INPUT: there is no circuit to find).
 */
export function circuitData(
  model: DecisionTransformer,
  pairs: PatchPair | readonly PatchPair[],
  metric: MetricSpec,
): CircuitData {
  const list = 'clean' in pairs ? [pairs] : pairs;
  check(list.length > 0, 'BAD_INPUT', 'circuit discovery needs at least one clean/corrupted pair');
  const nTokens = list[0].cleanTokens.shape[1];
  check(
    list.every((p) => p.cleanTokens.shape[1] === nTokens),
    'BAD_SHAPE',
    'the pairs of a circuit dataset must have windows of one length',
  );
  const readers = list.map((p) => metricReader(model, metric, p.clean));
  const mean = (f: (i: number) => number) => list.reduce((s, _, i) => s + f(i), 0) / list.length;
  const clean = mean((i) => readers[i].read(list[i].clean, 0));
  const corrupted = mean((i) => readers[i].read(list[i].corrupted, 0));
  check(
    !list.every((p) => p.identical) && Math.abs(clean - corrupted) > 1e-9,
    'BAD_INPUT',
    () =>
      `the corruption does not change the ${readers[0].label} (${clean.toFixed(6)}): there is no circuit to find`,
  );
  return { pairs: list, readers, metric, clean, corrupted, metricLabel: readers[0].label, nTokens };
}

/** Mean over the pairs of each row's metric with that row's edges patched (progress over all pairs). */
export async function meanEdgeValues(
  model: DecisionTransformer,
  data: CircuitData,
  graph: CircuitGraph,
  rows: readonly (readonly number[])[],
  control: JobControl = {},
): Promise<Float64Array> {
  const { onProgress, ...rest } = control;
  const n = data.pairs.length;
  const sum = new Float64Array(rows.length);
  for (const [i, pair] of data.pairs.entries()) {
    const values = await edgePatchedValues(model, pair, graph, rows, data.readers[i], {
      ...rest,
      onProgress: (done, total) => onProgress?.(i * total + done, n * total),
    });
    values.forEach((v, r) => (sum[r] += v / n));
  }
  return sum;
}

/** Mean over the pairs of each edge's EAP score (raw units): one backward per pair. */
export function meanEdgeAttribution(
  model: DecisionTransformer,
  data: CircuitData,
  graph: CircuitGraph,
): Float64Array {
  const sum = new Float64Array(graph.edges.length);
  for (const pair of data.pairs)
    edgeAttribution(model, pair, graph, data.metric).forEach((v, e) => (sum[e] += v / data.pairs.length));
  return sum;
}
