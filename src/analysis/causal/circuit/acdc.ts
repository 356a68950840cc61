/**
 * ACDC-style pruning by real edge patching (Conmy et al. 2023), batched per receiver. Receivers are
 * visited from the output backwards (reverse forward order); for each, every incoming edge still in the
 * circuit is patched on its own on top of the current circuit (all removed edges patched), the whole
 * set as one batched run (`meanEdgeValues`: every pair of the data). Edges whose removal moves the normalised metric
 * `(m − m_corrupted) / (m_clean − m_corrupted)` by less than `threshold` are removed together, and the
 * circuit's metric is measured again (one run). A head or MLP left without outgoing edges loses its
 * incoming edges without a run (its output no longer reaches anything), unless the metric reads that
 * MLP's input itself (the `neuron` metric).
 *
 * Differs from ACDC's one-edge-at-a-time loop in removing a receiver's sub-threshold edges at once;
 * every receiver costs at most two batched runs.
 */
import type { DecisionTransformer } from '../../../model/decisionTransformer.ts';
import { type JobControl, throwIfCancelled } from '../../jobs.ts';
import { recovery } from '../metrics.ts';
import { type CircuitData, meanEdgeValues } from './dataset.ts';
import type { CircuitGraph } from './graph.ts';

/** The sender a receiver belongs to (a head's q/k/v, an MLP's input), or −1 for the output. */
function ownSender(graph: CircuitGraph, r: number): number {
  const node = graph.receivers[r].node;
  if (node.kind === 'output') return -1;
  return graph.senders.findIndex(
    ({ node: s }) =>
      (s.kind === 'mlp' && node.kind === 'mlp' && s.layer === node.layer) ||
      (s.kind === 'head' && node.kind === 'head' && s.layer === node.layer && s.head === node.head),
  );
}

/**
 * Whether the metric reads receiver r directly: the output for every metric but `neuron`, which reads
 * its MLP's input (`mlp.hook_pre`) and so keeps that receiver's inputs alive without outgoing edges.
 */
function readByMetric(graph: CircuitGraph, r: number, data: CircuitData): boolean {
  const node = graph.receivers[r].node;
  const metric = data.metric;
  if (metric.kind === 'neuron') return node.kind === 'mlp' && node.layer === metric.layer;
  return node.kind === 'output';
}

/** The edges ACDC keeps (1 = in the circuit). Progress counts receivers. */
export async function acdcPrune(
  model: DecisionTransformer,
  data: CircuitData,
  graph: CircuitGraph,
  threshold: number,
  control: JobControl = {},
): Promise<Uint8Array> {
  const { onProgress, ...inner } = control;
  const norm = (v: number) => recovery(v, data.corrupted, data.clean);
  const kept = new Uint8Array(graph.edges.length).fill(1);
  const outgoing = new Int32Array(graph.senders.length);
  for (const e of graph.edges) outgoing[e.sender]++;
  const remove = (e: number) => {
    kept[e] = 0;
    outgoing[graph.edges[e].sender]--;
  };
  const removed = () => graph.edges.flatMap((_, i) => (kept[i] ? [] : [i]));
  let current = 1;
  const order = graph.receivers.map((_, i) => i).reverse();
  for (const [step, r] of order.entries()) {
    throwIfCancelled(control);
    const candidates = graph.incoming[r].filter((e) => kept[e]);
    const own = ownSender(graph, r);
    if (own >= 0 && outgoing[own] === 0 && !readByMetric(graph, r, data)) candidates.forEach(remove);
    else if (candidates.length > 0) {
      const base = removed();
      const values = await meanEdgeValues(
        model,
        data,
        graph,
        candidates.map((e) => [...base, e]),
        inner,
      );
      const weak = candidates.filter((_, i) => Math.abs(norm(values[i]) - current) < threshold);
      if (weak.length > 0) {
        weak.forEach(remove);
        const [v] = await meanEdgeValues(model, data, graph, [removed()], inner);
        current = norm(v);
      }
    }
    onProgress?.(step + 1, order.length);
  }
  return kept;
}
