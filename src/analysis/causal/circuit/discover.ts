/**
 * Automatic circuit discovery on a clean/corrupted pair or a dataset of pairs (`dataset.ts`), for a
 * metric of the causal layer (`metrics.ts`; default the logit difference left − right), averaged over the
 * pairs:
 *
 * - `eap`: edges ranked by edge attribution patching (`eap.ts`, two cached forwards + one backward);
 *   the circuit is every edge whose estimated effect `|Δ| / |m_clean − m_corrupted|` is at least
 *   `threshold`, at most the `top` largest.
 * - `acdc`: pruning by real edge patching (`acdc.ts`): edges whose removal moves the normalised metric
 *   by less than `threshold` are dropped.
 *
 * Then one batched run of real edge patching per pair (`meanEdgeValues`) evaluates the circuit alone
 * (every other edge patched to the corrupted run) and the circuit without each of its edges. Reported:
 * faithfulness `(m_circuit − m_corrupted) / (m_clean − m_corrupted)` (exactly 1 for the full graph, 0 up
 * to rounding for the empty one) and the share of circuit edges confirmed by real patching (removing the edge from the
 * circuit moves faithfulness by at least `threshold`).
 */
import { check } from '../../../errors.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import type { JobControl } from '../../jobs.ts';
import { type MetricSpec, recovery } from '../metrics.ts';
import type { PatchPair } from '../patching.ts';
import { acdcPrune } from './acdc.ts';
import { type CircuitData, circuitData, meanEdgeAttribution, meanEdgeValues } from './dataset.ts';
import { type CircuitGraph, circuitGraph, edgesByLabel } from './graph.ts';

export const CIRCUIT_METHODS = ['eap', 'acdc'] as const;
export type CircuitMethod = (typeof CIRCUIT_METHODS)[number];
export const DEFAULT_CIRCUIT_THRESHOLD = 0.02;

export interface CircuitOptions extends JobControl {
  /** Default `eap` */
  method?: CircuitMethod;
  /** Default 0.02 (normalised metric units) */
  threshold?: number;
  /** `eap`: keep at most this many edges */
  top?: number;
  /** Edges per token position (default true) */
  perPosition?: boolean;
  /** Default the logit difference left − right */
  metric?: MetricSpec;
}

const DEFAULT_METRIC: MetricSpec = { kind: 'logit-diff' };

export interface CircuitEdgeResult {
  label: string;
  sender: string;
  receiver: string;
  /** Token label of a per-position edge, null = every position */
  position: string | null;
  /** EAP estimate of patching the edge alone in the full model, as a share of m_corrupted − m_clean */
  attribution: number;
  /** Real patching: faithfulness lost when the edge is removed from the circuit */
  removal: number;
  confirmed: boolean;
}

export interface CircuitResult {
  /** `given`: a circuit evaluated with `evaluateCircuit` */
  method: CircuitMethod | 'given';
  threshold: number;
  top: number | null;
  perPosition: boolean;
  metricLabel: string;
  tokenLabels: string[];
  /** Number of clean/corrupted pairs the metric is averaged over */
  pairs: number;
  /** Mean raw metric of the clean and corrupted runs and of the circuit alone */
  clean: number;
  corrupted: number;
  circuitValue: number;
  faithfulness: number;
  /** Share of circuit edges whose removal moves faithfulness by at least `threshold` (1 if none) */
  confirmedShare: number;
  /** Number of edges of the whole graph */
  graphEdges: number;
  /** The circuit's edges, largest |attribution| first */
  edges: CircuitEdgeResult[];
}

/**
 * Faithfulness of a circuit (edge indices into `graph.edges`) and of the circuit without each of its
 * edges: `values` (mean raw metric) and `faithfulness`, `[circuit, ...without edge i]`, one batched run
 * per pair.
 */
export async function circuitFaithfulness(
  model: DecisionTransformer,
  data: CircuitData,
  graph: CircuitGraph,
  circuit: readonly number[],
  control?: JobControl,
): Promise<{ values: Float64Array; faithfulness: Float64Array }> {
  const inCircuit = new Set(circuit);
  const rest = graph.edges.flatMap((_, i) => (inCircuit.has(i) ? [] : [i]));
  const rows = [rest, ...circuit.map((e) => [...rest, e])];
  const values = await meanEdgeValues(model, data, graph, rows, control);
  return { values, faithfulness: values.map((v) => recovery(v, data.corrupted, data.clean)) };
}

/** What discovery and evaluation share: the data, the graph and the normalised EAP of every edge. */
function setup(
  model: DecisionTransformer,
  pairs: PatchPair | readonly PatchPair[],
  perPosition: boolean,
  metric: MetricSpec,
) {
  const data = circuitData(model, pairs, metric);
  const graph = circuitGraph(model.arch, data.nTokens, perPosition);
  const scale = data.corrupted - data.clean;
  const attribution = meanEdgeAttribution(model, data, graph).map((v) => v / scale);
  return { data, graph, attribution };
}

/** Evaluates a circuit by real patching and reports it (edges ordered by |attribution|). */
async function report(
  model: DecisionTransformer,
  s: ReturnType<typeof setup>,
  circuit: number[],
  settings: {
    method: CircuitResult['method'];
    threshold: number;
    top: number | null;
  },
  control: JobControl,
): Promise<CircuitResult> {
  const { graph, attribution, data } = s;
  const ordered = [...circuit].sort((a, b) => Math.abs(attribution[b]) - Math.abs(attribution[a]));
  const { values, faithfulness } = await circuitFaithfulness(model, data, graph, ordered, control);
  const edges = ordered.map((e, i) => {
    const edge = graph.edges[e];
    const removal = faithfulness[0] - faithfulness[i + 1];
    return {
      label: edge.label,
      sender: graph.senders[edge.sender].label,
      receiver: graph.receivers[edge.receiver].label,
      position: edge.position === null ? null : graph.tokenLabels[edge.position],
      attribution: attribution[e],
      removal,
      confirmed: Math.abs(removal) >= settings.threshold,
    };
  });
  return {
    method: settings.method,
    threshold: settings.threshold,
    top: settings.top,
    perPosition: graph.perPosition,
    metricLabel: data.metricLabel,
    pairs: data.pairs.length,
    tokenLabels: graph.tokenLabels,
    clean: data.clean,
    corrupted: data.corrupted,
    circuitValue: values[0],
    faithfulness: faithfulness[0],
    confirmedShare: edges.length === 0 ? 1 : edges.filter((e) => e.confirmed).length / edges.length,
    graphEdges: graph.edges.length,
    edges,
  };
}

function checkThreshold(threshold: number): void {
  check(Number.isFinite(threshold) && threshold >= 0, 'BAD_INPUT', `threshold must be ≥ 0, got ${threshold}`);
}

/** Discovers a circuit for the pairs' metric (see the module comment). */
export async function discoverCircuit(
  model: DecisionTransformer,
  pairs: PatchPair | readonly PatchPair[],
  options: CircuitOptions = {},
): Promise<CircuitResult> {
  const {
    method = 'eap',
    threshold = DEFAULT_CIRCUIT_THRESHOLD,
    top,
    perPosition = true,
    metric = DEFAULT_METRIC,
    onProgress,
    ...control
  } = options;
  checkThreshold(threshold);
  check(
    top === undefined || (Number.isInteger(top) && top > 0),
    'BAD_INPUT',
    `top must be a positive integer, got ${top}`,
  );
  const s = setup(model, pairs, perPosition, metric);
  const { graph, attribution } = s;
  const phases = method === 'acdc' ? 2 : 1;
  const phase = (k: number) => (done: number, total: number) =>
    onProgress?.(((k + done / total) / phases) * 100, 100);
  let circuit: number[];
  if (method === 'acdc') {
    const kept = await acdcPrune(model, s.data, graph, threshold, {
      ...control,
      onProgress: phase(0),
    });
    circuit = graph.edges.flatMap((_, i) => (kept[i] ? [i] : []));
  } else {
    circuit = graph.edges
      .flatMap((_, i) => (Math.abs(attribution[i]) >= threshold ? [i] : []))
      .sort((a, b) => Math.abs(attribution[b]) - Math.abs(attribution[a]))
      .slice(0, top);
  }
  const settings = { method, threshold, top: top ?? null };
  return report(model, s, circuit, settings, { ...control, onProgress: phase(phases - 1) });
}

/**
 * A given circuit (edge labels, e.g. from another pair's discovery) on this pair: its faithfulness, each
 * edge's EAP score and real removal effect. Labels of nodes the model lacks are BAD_INPUT.
 */
export async function evaluateCircuit(
  model: DecisionTransformer,
  pairs: PatchPair | readonly PatchPair[],
  labels: readonly string[],
  options: Omit<CircuitOptions, 'method' | 'top'> = {},
): Promise<CircuitResult> {
  const {
    threshold = DEFAULT_CIRCUIT_THRESHOLD,
    perPosition = true,
    metric = DEFAULT_METRIC,
    ...control
  } = options;
  checkThreshold(threshold);
  const s = setup(model, pairs, perPosition, metric);
  const circuit = [...new Set(edgesByLabel(s.graph, labels))];
  return report(model, s, circuit, { method: 'given', threshold, top: null }, control);
}
