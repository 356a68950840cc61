/**
 * Automatic circuit discovery on a clean/corrupted pair, for the logit difference (`direction`):
 *
 * - `eap`: edges ranked by edge attribution patching (`eap.ts`, two cached forwards + one backward);
 *   the circuit is every edge whose estimated effect `|Δ| / |m_clean − m_corrupted|` is at least
 *   `threshold`, at most the `top` largest.
 * - `acdc`: pruning by real edge patching (`acdc.ts`): edges whose removal moves the normalised metric
 *   by less than `threshold` are dropped.
 *
 * Then one batched run of real edge patching (`edgePatchedValues`) evaluates the circuit alone (every
 * other edge patched to the corrupted run) and the circuit without each of its edges. Reported:
 * faithfulness `(m_circuit − m_corrupted) / (m_clean − m_corrupted)` (1 for the full graph, 0 for the
 * empty one) and the share of circuit edges confirmed by real patching (removing the edge from the
 * circuit moves faithfulness by at least `threshold`).
 */
import { check } from '../../../errors.ts';
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { DEFAULT_LOGIT_DIRECTION, type LogitDirectionSpec } from '../../dynamic/logitDirection.ts';
import type { JobControl } from '../../jobs.ts';
import { type MetricReader, metricReader, recovery } from '../metrics.ts';
import type { PatchPair } from '../patching.ts';
import { acdcPrune } from './acdc.ts';
import { edgeAttribution } from './eap.ts';
import { edgePatchedValues } from './edgePatch.ts';
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
  direction?: LogitDirectionSpec;
}

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
  /** Raw metric of the clean and corrupted runs and of the circuit alone */
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

/** The clean and corrupted values of the pair; BAD_INPUT when the corruption does not move the metric. */
function metricEnds(reader: MetricReader, pair: PatchPair): { clean: number; corrupted: number } {
  const ends = { clean: reader.read(pair.clean, 0), corrupted: reader.read(pair.corrupted, 0) };
  check(
    !pair.identical && Math.abs(ends.clean - ends.corrupted) > 1e-9,
    'BAD_INPUT',
    () =>
      `the corruption does not change the ${reader.label} (${ends.clean.toFixed(6)}): there is no circuit to find`,
  );
  return ends;
}

/**
 * Faithfulness of a circuit (edge indices into `graph.edges`) and of the circuit without each of its
 * edges: `[faithfulness, ...without edge i]`, one batched run.
 */
export async function circuitFaithfulness(
  model: DecisionTransformer,
  pair: PatchPair,
  graph: CircuitGraph,
  circuit: readonly number[],
  direction: LogitDirectionSpec = DEFAULT_LOGIT_DIRECTION,
  control?: JobControl,
): Promise<{ values: Float64Array; faithfulness: Float64Array }> {
  const reader = metricReader(model, { kind: 'logit-diff', direction }, pair.clean);
  const ends = metricEnds(reader, pair);
  const inCircuit = new Set(circuit);
  const rest = graph.edges.flatMap((_, i) => (inCircuit.has(i) ? [] : [i]));
  const rows = [rest, ...circuit.map((e) => [...rest, e])];
  const values = await edgePatchedValues(model, pair, graph, rows, reader, control);
  return { values, faithfulness: values.map((v) => recovery(v, ends.corrupted, ends.clean)) };
}

/** What discovery and evaluation share: the reader, the graph and the normalised EAP of every edge. */
function setup(
  model: DecisionTransformer,
  pair: PatchPair,
  perPosition: boolean,
  direction: LogitDirectionSpec,
) {
  const reader = metricReader(model, { kind: 'logit-diff', direction }, pair.clean);
  const ends = metricEnds(reader, pair);
  const graph = circuitGraph(model.arch, pair.cleanTokens.shape[1], perPosition);
  const scale = ends.corrupted - ends.clean;
  const attribution = edgeAttribution(model, pair, graph, direction).map((s) => s / scale);
  return { reader, ends, graph, attribution };
}

/** Evaluates a circuit by real patching and reports it (edges ordered by |attribution|). */
async function report(
  model: DecisionTransformer,
  pair: PatchPair,
  s: ReturnType<typeof setup>,
  circuit: number[],
  settings: {
    method: CircuitResult['method'];
    threshold: number;
    top: number | null;
    direction: LogitDirectionSpec;
  },
  control: JobControl,
): Promise<CircuitResult> {
  const { graph, attribution, ends } = s;
  const ordered = [...circuit].sort((a, b) => Math.abs(attribution[b]) - Math.abs(attribution[a]));
  const { values, faithfulness } = await circuitFaithfulness(
    model,
    pair,
    graph,
    ordered,
    settings.direction,
    control,
  );
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
    metricLabel: s.reader.label,
    tokenLabels: graph.tokenLabels,
    clean: ends.clean,
    corrupted: ends.corrupted,
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

/** Discovers a circuit for the pair's logit difference (see the module comment). */
export async function discoverCircuit(
  model: DecisionTransformer,
  pair: PatchPair,
  options: CircuitOptions = {},
): Promise<CircuitResult> {
  const {
    method = 'eap',
    threshold = DEFAULT_CIRCUIT_THRESHOLD,
    top,
    perPosition = true,
    direction = DEFAULT_LOGIT_DIRECTION,
    onProgress,
    ...control
  } = options;
  checkThreshold(threshold);
  check(
    top === undefined || (Number.isInteger(top) && top > 0),
    'BAD_INPUT',
    `top must be a positive integer, got ${top}`,
  );
  const s = setup(model, pair, perPosition, direction);
  const { graph, attribution } = s;
  const phases = method === 'acdc' ? 2 : 1;
  const phase = (k: number) => (done: number, total: number) =>
    onProgress?.(((k + done / total) / phases) * 100, 100);
  let circuit: number[];
  if (method === 'acdc') {
    const kept = await acdcPrune(model, pair, graph, s.reader, threshold, s.ends, {
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
  const settings = { method, threshold, top: top ?? null, direction };
  return report(model, pair, s, circuit, settings, { ...control, onProgress: phase(phases - 1) });
}

/**
 * A given circuit (edge labels, e.g. from another pair's discovery) on this pair: its faithfulness, each
 * edge's EAP score and real removal effect. Labels of nodes the model lacks are BAD_INPUT.
 */
export async function evaluateCircuit(
  model: DecisionTransformer,
  pair: PatchPair,
  labels: readonly string[],
  options: Omit<CircuitOptions, 'method' | 'top'> = {},
): Promise<CircuitResult> {
  const {
    threshold = DEFAULT_CIRCUIT_THRESHOLD,
    perPosition = true,
    direction = DEFAULT_LOGIT_DIRECTION,
    ...control
  } = options;
  checkThreshold(threshold);
  const s = setup(model, pair, perPosition, direction);
  const circuit = [...new Set(edgesByLabel(s.graph, labels))];
  return report(model, pair, s, circuit, { method: 'given', threshold, top: null, direction }, control);
}
