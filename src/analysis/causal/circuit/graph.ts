/**
 * The computational graph of a Decision Transformer for circuit discovery (Conmy et al. 2023, ACDC;
 * Syed et al. 2023, EAP). Senders write into the residual stream: the token embeddings of each kind
 * (`embed:R|S|A`, `hook_embed` at the positions of that kind, time embedding included), the position
 * embedding (`pos_embed`), every head (`L1H2`: its z times W_O) and every MLP (`mlp0`: `hook_mlp_out`).
 * Receivers read it: every head's q, k and v input (`L1H2.q`), every MLP's input (`mlp1`) and the
 * action output (`output`, the final residual ln_final reads).
 *
 * An edge `sender -> receiver` exists when the sender writes before the receiver reads: head inputs of
 * layer l read the embeddings, heads of layers < l and MLPs of layers < l; MLP l also reads the heads of
 * layer l; the output reads every sender. With `perPosition`, each edge is split by token position p
 * (`L0H1 -> L1H2.q @S3`): the sender's contribution at p flowing into the receiver's input at p (the
 * residual stream is positionwise; moving information across positions happens inside heads).
 * `embed:K` edges exist only at positions of kind K.
 */
import { DtlensError, check } from '../../../errors.ts';
import type { DTArchitecture } from '../../../model/architecture.ts';
import { type TokenKind, tokenKind, tokenLabels } from '../../../model/tokens.ts';

export type SenderNode =
  | { kind: 'embed'; token: TokenKind }
  | { kind: 'pos' }
  | { kind: 'head'; layer: number; head: number }
  | { kind: 'mlp'; layer: number };

export type HeadInput = 'q' | 'k' | 'v';

export type ReceiverNode =
  | { kind: 'head'; layer: number; head: number; input: HeadInput }
  | { kind: 'mlp'; layer: number }
  | { kind: 'output' };

export interface CircuitEdge {
  /** Index into `senders` */
  sender: number;
  /** Index into `receivers` */
  receiver: number;
  /** Token position of a per-position edge; null = every position */
  position: number | null;
  /** e.g. `L0H1 -> L1H2.q @S3` */
  label: string;
}

export interface CircuitGraph {
  senders: { node: SenderNode; label: string }[];
  /** In forward order (the output last) */
  receivers: { node: ReceiverNode; label: string }[];
  edges: CircuitEdge[];
  /** Edge indices into each receiver */
  incoming: number[][];
  /** Number of token positions P of the windows the graph is for */
  nTokens: number;
  tokenLabels: string[];
  perPosition: boolean;
  /** "2 layers × 4 heads", for error messages */
  shapeLabel: string;
}

export const HEAD_INPUTS: readonly HeadInput[] = ['q', 'k', 'v'];

export function senderLabel(n: SenderNode): string {
  if (n.kind === 'embed') return `embed:${n.token}`;
  if (n.kind === 'pos') return 'pos_embed';
  return n.kind === 'head' ? `L${n.layer}H${n.head}` : `mlp${n.layer}`;
}

export function receiverLabel(n: ReceiverNode): string {
  if (n.kind === 'head') return `L${n.layer}H${n.head}.${n.input}`;
  return n.kind === 'mlp' ? `mlp${n.layer}` : 'output';
}

/** Forward stage a sender writes at: embeddings 0, head of layer l 2l + 1, MLP of layer l 2l + 2. */
const writeStage = (n: SenderNode): number =>
  n.kind === 'head' ? 2 * n.layer + 1 : n.kind === 'mlp' ? 2 * n.layer + 2 : 0;

/** Last stage a receiver reads: head inputs of layer l 2l, MLP l 2l + 1, output everything. */
const readStage = (n: ReceiverNode, nLayers: number): number =>
  n.kind === 'head' ? 2 * n.layer : n.kind === 'mlp' ? 2 * n.layer + 1 : 2 * nLayers;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The graph of `arch` for windows of `nTokens` positions (edges per position with `perPosition`). */
export function circuitGraph(arch: DTArchitecture, nTokens: number, perPosition: boolean): CircuitGraph {
  const { nLayers: L, nHeads: H } = arch;
  check(nTokens > 0 && nTokens <= arch.nCtx, 'BAD_SHAPE', () => `${nTokens} tokens do not fit the model`);
  const kinds = (['R', 'S', 'A'] as const).filter((k) => range(nTokens).some((p) => tokenKind(p) === k));
  const senderNodes: SenderNode[] = [
    ...kinds.map((token) => ({ kind: 'embed' as const, token })),
    { kind: 'pos' },
  ];
  const receiverNodes: ReceiverNode[] = [];
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      senderNodes.push({ kind: 'head', layer: l, head: h });
      for (const input of HEAD_INPUTS) receiverNodes.push({ kind: 'head', layer: l, head: h, input });
    }
    senderNodes.push({ kind: 'mlp', layer: l });
    receiverNodes.push({ kind: 'mlp', layer: l });
  }
  receiverNodes.push({ kind: 'output' });
  const senders = senderNodes.map((node) => ({ node, label: senderLabel(node) }));
  const receivers = receiverNodes.map((node) => ({ node, label: receiverLabel(node) }));
  const labels = tokenLabels(nTokens);
  const edges: CircuitEdge[] = [];
  const incoming: number[][] = receivers.map(() => []);
  receivers.forEach((r, ri) =>
    senders.forEach((s, si) => {
      if (writeStage(s.node) > readStage(r.node, L)) return;
      const positions = !perPosition
        ? [null]
        : range(nTokens).filter((p) => s.node.kind !== 'embed' || tokenKind(p) === s.node.token);
      for (const position of positions) {
        incoming[ri].push(edges.length);
        const at = position === null ? '' : ` @${labels[position]}`;
        edges.push({ sender: si, receiver: ri, position, label: `${s.label} -> ${r.label}${at}` });
      }
    }),
  );
  return {
    senders,
    receivers,
    edges,
    incoming,
    nTokens,
    tokenLabels: labels,
    perPosition,
    shapeLabel: `${L} layers × ${H} heads`,
  };
}

/**
 * Edge indices of edge labels (`L0H1 -> L1H2.q`, with ` @S3` in a per-position graph). A label naming a
 * node the model does not have, or an edge the graph does not hold, is a one-line BAD_INPUT.
 */
export function edgesByLabel(graph: CircuitGraph, labels: readonly string[]): number[] {
  const index = new Map(graph.edges.map((e, i) => [e.label, i]));
  const senders = new Set(graph.senders.map((s) => s.label));
  const receivers = new Set(graph.receivers.map((r) => r.label));
  return labels.map((label) => {
    const i = index.get(label.trim());
    if (i !== undefined) return i;
    const m = /^(\S+)\s*->\s*(\S+)(?:\s+@(\S+))?$/.exec(label.trim());
    if (!m) throw new DtlensError('BAD_INPUT', `"${label}" is not an edge (write "L0H1 -> L1H2.q")`);
    for (const [node, known, what] of [
      [m[1], senders, 'sender'],
      [m[2], receivers, 'receiver'],
    ] as const)
      check(
        known.has(node),
        'BAD_INPUT',
        () => `edge "${label}": ${what} ${node} does not exist in this model (${graph.shapeLabel})`,
      );
    if (m[3] !== undefined)
      check(graph.perPosition && graph.tokenLabels.includes(m[3]), 'BAD_INPUT', () =>
        graph.perPosition
          ? `edge "${label}": no token ${m[3]} in a window of ${graph.nTokens} tokens`
          : `edge "${label}": this graph has no per-position edges`,
      );
    throw new DtlensError(
      'BAD_INPUT',
      `edge "${label}" is not in the graph (the sender writes after the receiver reads)`,
    );
  });
}
