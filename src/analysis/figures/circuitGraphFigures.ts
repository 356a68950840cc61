/**
 * A discovered circuit drawn as a graph over token positions: one column per token some edge sits at
 * (one "all positions" column for a graph without per-position edges), one row per node in forward order (embeddings at the
 * bottom, the output at the top), an arrow per edge from its sender to its receiver in the edge's column,
 * coloured by the input it enters (q, k, v, MLP, output), as wide as its real removal effect; a dashed
 * grey link inside a head from a token it reads keys/values at to a token it writes at.
 */
import * as Plot from '@observablehq/plot';
import type { CircuitResult } from '../causal/circuit/discover.ts';
import { type Cell, type FigureSpec, hover } from './figure.ts';

const INPUT_COLOURS: Record<string, string> = {
  q: '#d97706',
  k: '#0891b2',
  v: '#7c3aed',
  mlp: '#16a34a',
  output: '#0f172a',
};
const ALL = 'all positions';

/** Forward-order rank of a node label (embeddings, then per layer heads and the MLP, then the output). */
function nodeRank(node: string): number {
  const embeds = ['embed:R', 'embed:S', 'embed:A', 'pos_embed'];
  if (embeds.includes(node)) return embeds.indexOf(node);
  let m: RegExpExecArray | null;
  if ((m = /^L(\d+)H(\d+)$/.exec(node))) return 10 + 1000 * +m[1] + +m[2];
  if ((m = /^mlp(\d+)$/.exec(node))) return 10 + 1000 * +m[1] + 999;
  return Number.MAX_SAFE_INTEGER;
}

/** The node a receiver belongs to and the input it is (`L1H2.q` -> L1H2, q). */
function receiverParts(receiver: string): [string, string] {
  const m = /^(L\d+H\d+)\.([qkv])$/.exec(receiver);
  if (m) return [m[1], m[2]];
  return receiver === 'output' ? ['output', 'output'] : [receiver, 'mlp'];
}

export function circuitGraphFigure(r: CircuitResult): FigureSpec {
  const columns = ['sender', 'receiver', 'input', 'position', 'attribution', 'removal', 'confirmed'];
  const rows: Cell[][] = r.edges.map((e) => {
    const [node, input] = receiverParts(e.receiver);
    return [e.sender, node, input, e.position ?? ALL, e.attribution, e.removal, e.confirmed ? 'yes' : 'no'];
  });
  const nodes = [...new Set(rows.flatMap((row) => [row[0] as string, row[1] as string]))].sort(
    (a, b) => nodeRank(b) - nodeRank(a),
  );
  // Only the tokens some edge sits at, in window order: a circuit of a few edges stays readable.
  const used = new Set(rows.map((row) => row[3]));
  const xs = r.perPosition ? r.tokenLabels.filter((t) => used.has(t)) : [ALL];
  if (xs.length === 0) xs.push('no edge above the threshold');
  const maxRemoval = Math.max(1e-9, ...r.edges.map((e) => Math.abs(e.removal)));
  // A head reads keys/values at one token and writes at another: a dashed link inside the head per pair.
  const moves: Cell[][] = [];
  for (const head of nodes.filter((n) => /^L\d+H\d+$/.test(n))) {
    const reads = new Set(rows.filter((row) => row[1] === head && row[2] !== 'q').map((row) => row[3]));
    const writes = new Set(rows.filter((row) => row[0] === head).map((row) => row[3]));
    for (const from of reads) for (const to of writes) if (from !== to) moves.push([head, from, to]);
  }
  const dots = rows.flatMap((row) => [
    [row[0], row[3]],
    [row[1], row[3]],
  ]);
  return {
    title: `${r.method} circuit: ${r.edges.length} of ${r.graphEdges} edges, faithfulness ${r.faithfulness.toFixed(3)}${r.edges.length ? `, ${(100 * r.confirmedShare).toFixed(0)}% confirmed by patching` : ''}`,
    settings: `${r.metricLabel}; threshold ${r.threshold}${r.top === null ? '' : `, top ${r.top}`}; arrow colour = input (q gold, k cyan, v violet, MLP green, output black), width = real removal effect, faint = not confirmed, dashed = a head moving information between tokens`,
    table: { columns, rows },
    options: (interactive) => ({
      width: Math.max(360, 120 + 44 * xs.length),
      height: Math.max(160, 60 + 34 * nodes.length),
      marginLeft: 80,
      x: {
        type: 'point',
        domain: xs,
        label: r.perPosition ? 'token (those with circuit edges)' : 'token',
        padding: 0.5,
      },
      y: { type: 'point', domain: nodes.length ? nodes : ['output'], label: null, padding: 0.5 },
      color: { domain: Object.keys(INPUT_COLOURS), range: Object.values(INPUT_COLOURS), legend: false },
      marks: [
        Plot.arrow(rows, {
          x1: (row: Cell[]) => row[3],
          y1: (row: Cell[]) => row[0],
          x2: (row: Cell[]) => row[3],
          y2: (row: Cell[]) => row[1],
          stroke: (row: Cell[]) => row[2],
          strokeWidth: (row: Cell[]) => 1 + 4 * (Math.abs(row[5] as number) / maxRemoval),
          strokeOpacity: (row: Cell[]) => (row[6] === 'yes' ? 1 : 0.35),
          bend: true,
          inset: 6,
          ...hover(columns, interactive),
        }),
        Plot.arrow(moves, {
          x1: (m: Cell[]) => m[1],
          x2: (m: Cell[]) => m[2],
          y: (m: Cell[]) => m[0],
          stroke: '#94a3b8',
          strokeDasharray: '4,3',
          inset: 6,
        }),
        Plot.dot(dots, {
          x: (d: Cell[]) => d[1],
          y: (d: Cell[]) => d[0],
          r: 5,
          fill: '#e2e8f0',
          stroke: 'black',
        }),
      ],
    }),
  };
}
