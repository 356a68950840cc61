/**
 * Composition figures: writer × reader maps per type (Q/K/V side by side), strip plots of all scores
 * against the random baseline, the directed composition graph (nodes = heads by layer, arrows coloured
 * by type: Q gold, K cyan, V violet as DTI) and meta-composition (ranked total influence bars).
 */
import * as Plot from '@observablehq/plot';
import { check } from '../../errors.ts';
import {
  COMPOSITION_TYPES,
  type CompositionGraph,
  type CompositionResult,
  type CompositionType,
  compositionEdges,
} from '../static/composition.ts';
import type { MetaCompositionResult } from '../static/metaComposition.ts';
import { barFigure, heatmapFigure } from './charts.ts';
import { type Cell, type FigureSpec, hover } from './figure.ts';
import { stripFigure } from './strip.ts';

/** DTI's edge colours. */
export const COMPOSITION_COLORS: Record<CompositionType, string> = {
  Q: '#FFD700',
  K: '#00FFFF',
  V: '#8A2BE2',
};

/** Writer (rows) × reader (columns) heatmaps, one per type. */
export function compositionMapFigure(r: CompositionResult): FigureSpec {
  const n = r.heads.length;
  const rows: Cell[][] = [];
  for (const t of COMPOSITION_TYPES)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) rows.push([t, r.heads[i], r.heads[j], r.scores[t].data[i * n + j]]);
  return heatmapFigure({
    title: 'composition scores (writer → reader)',
    columns: ['type', 'writer', 'reader', 'score'],
    rows,
    x: { column: 2, domain: r.heads, label: 'reader head' },
    y: { column: 1, domain: r.heads, label: 'writer head' },
    fx: { column: 0, domain: [...COMPOSITION_TYPES], label: 'composition' },
    value: 3,
    cellSize: 22,
  });
}

/** Every l1 < l2 score as a strip per type, with the random baseline (mean and 95% band). */
export function compositionStripFigure(r: CompositionResult, type?: CompositionType): FigureSpec {
  const edges = compositionEdges(r).filter((e) => !type || e.type === type);
  const rows: Cell[][] = edges
    .sort(
      (a, b) =>
        a.type.localeCompare(b.type) || a.writer.localeCompare(b.writer) || a.reader.localeCompare(b.reader),
    )
    .map((e) => [e.type, e.writer, e.reader, e.score, e.excess]);
  return stripFigure({
    title: `${type ?? 'Q, K and V'} composition scores`,
    columns: ['type', 'writer', 'reader', 'score', 'excess over baseline'],
    rows,
    value: 3,
    group: 0,
    baseline: r.baseline[type ?? 'Q'],
  });
}

/** The directed graph: heads placed by (layer, head); one arrow per (writer, reader, type) above the threshold. */
export function compositionGraphFigure(g: CompositionGraph): FigureSpec {
  const pos = new Map(g.nodes.map((n) => [n.id, n]));
  const offset: Record<CompositionType, number> = { Q: -0.12, K: 0, V: 0.12 };
  const rows: Cell[][] = g.edges.map((e) => [e.type, e.writer, e.reader, e.score]);
  const columns = ['type', 'writer', 'reader', 'score'];
  const nodeRows = g.nodes.map((n) => [n.id, n.layer, n.head]);
  const maxHead = Math.max(0, ...g.nodes.map((n) => n.head));
  const maxLayer = Math.max(0, ...g.nodes.map((n) => n.layer));
  return {
    title: `composition graph (score ≥ ${g.threshold}; Q gold, K cyan, V violet)`,
    table: { columns, rows },
    options: (interactive) => ({
      width: 200 + maxLayer * 220,
      height: 160 + maxHead * 70,
      marginTop: 40,
      x: { axis: null, domain: [-0.5, maxLayer + 0.5] },
      y: { axis: null, domain: [maxHead + 0.5, -0.5] },
      color: {
        domain: [...COMPOSITION_TYPES],
        range: COMPOSITION_TYPES.map((t) => COMPOSITION_COLORS[t]),
        legend: false,
      },
      marks: [
        Plot.arrow(rows, {
          x1: (r: Cell[]) => pos.get(r[1] as string)!.layer,
          y1: (r: Cell[]) => pos.get(r[1] as string)!.head + offset[r[0] as CompositionType],
          x2: (r: Cell[]) => pos.get(r[2] as string)!.layer,
          y2: (r: Cell[]) => pos.get(r[2] as string)!.head + offset[r[0] as CompositionType],
          stroke: (r: Cell[]) => r[0],
          strokeWidth: (r: Cell[]) => 1 + 4 * (r[3] as number),
          bend: true,
          inset: 14,
          ...hover(columns, interactive),
        }),
        Plot.dot(nodeRows, {
          x: (r: Cell[]) => r[1],
          y: (r: Cell[]) => r[2],
          r: 12,
          fill: '#ddd',
          stroke: 'black',
        }),
        Plot.text(nodeRows, {
          x: (r: Cell[]) => r[1],
          y: (r: Cell[]) => r[2],
          text: (r: Cell[]) => r[0],
          fontSize: 9,
        }),
      ],
    }),
  };
}

/** Ranked bars of each writer's total influence. */
export function metaCompositionFigure(r: MetaCompositionResult): FigureSpec {
  const order = r.writers.map((_, i) => i).sort((a, b) => r.totalInfluence[b] - r.totalInfluence[a]);
  return barFigure({
    title: 'total influence: Σ over later readers of max(0, score − baseline mean)',
    labels: order.map((i) => r.writers[i].label),
    values: order.map((i) => r.totalInfluence[i]),
    labelName: 'writer',
    valueName: 'total influence',
  });
}

/** Writer × later-reader map of excess composition (score − baseline mean; non-causal pairs omitted). */
export function metaCompositionMapFigure(r: MetaCompositionResult): FigureSpec {
  const nR = r.readers.length;
  const rows: Cell[][] = [];
  r.writers.forEach((w, i) =>
    r.readers.forEach((rd, j) => {
      if (r.later.data[i * nR + j] !== 1) return;
      const score = r.scores.data[i * nR + j];
      rows.push([w.label, rd.label, score, score - r.baselines[i * nR + j].mean]);
    }),
  );
  check(rows.length > 0, 'BAD_INPUT', 'no writer reaches a reader');
  return heatmapFigure({
    title: 'excess composition over the random baseline (writer → later reader)',
    columns: ['writer', 'reader', 'score', 'excess'],
    rows,
    x: { column: 1, domain: r.readers.map((x) => x.label), label: 'reader' },
    y: { column: 0, domain: r.writers.map((x) => x.label), label: 'writer' },
    value: 3,
    cellSize: 16,
  });
}

/**
 * Meta-composition as a directed graph: writers (left of each stage) and readers placed by forward-pass
 * stage, one arrow per writer → later reader whose score is above the baseline's 95% band, width ∝ excess.
 */
export function metaCompositionGraphFigure(r: MetaCompositionResult): FigureSpec {
  const nR = r.readers.length;
  const stageOf = (o: { kind: string; layer: number }, reader: boolean) =>
    o.kind === 'embedding'
      ? -1
      : o.kind === 'predictor'
        ? 2 * o.layer
        : 2 * o.layer + (o.kind === 'mlp' ? 1 : 0) + (reader ? -0.5 : 0);
  const place = new Map<string, { x: number; y: number }>();
  const slots = new Map<number, number>();
  const put = (label: string, x: number) => {
    if (place.has(label)) return;
    const y = slots.get(x) ?? 0;
    slots.set(x, y + 1);
    place.set(label, { x, y });
  };
  r.writers.forEach((w) => put(`${w.label}`, stageOf(w, false)));
  r.readers.forEach((rd) => put(`${rd.label} `, stageOf(rd, true)));
  const columns = ['writer', 'reader', 'score', 'excess'];
  const rows: Cell[][] = [];
  r.writers.forEach((w, i) =>
    r.readers.forEach((rd, j) => {
      const k = i * nR + j;
      const score = r.scores.data[k];
      if (r.later.data[k] === 1 && score > r.baselines[k].hi)
        rows.push([w.label, rd.label, score, score - r.baselines[k].mean]);
    }),
  );
  const nodes = [...place.entries()].map(([label, p]) => [label.trim(), p.x, p.y] as Cell[]);
  const maxY = Math.max(1, ...[...slots.values()]);
  const xs = [...slots.keys()];
  const maxExcess = Math.max(1e-9, ...rows.map((row) => row[3] as number));
  return {
    title: 'meta-composition graph (edges above the random 95% band)',
    table: { columns, rows },
    options: (interactive) => ({
      width: 260 + (Math.max(...xs) - Math.min(...xs)) * 260,
      height: 80 + maxY * 22,
      marginTop: 40,
      marginLeft: 110,
      marginRight: 110,
      x: { axis: null },
      y: { axis: null, domain: [maxY, -1] },
      marks: [
        Plot.arrow(rows, {
          x1: (row: Cell[]) => place.get(row[0] as string)!.x,
          y1: (row: Cell[]) => place.get(row[0] as string)!.y,
          x2: (row: Cell[]) => place.get(`${row[1] as string} `)!.x,
          y2: (row: Cell[]) => place.get(`${row[1] as string} `)!.y,
          stroke: 'steelblue',
          strokeOpacity: 0.6,
          strokeWidth: (row: Cell[]) => 0.5 + (3 * (row[3] as number)) / maxExcess,
          headLength: 5,
          ...hover(columns, interactive),
        }),
        Plot.dot(nodes, { x: (n: Cell[]) => n[1], y: (n: Cell[]) => n[2], r: 3, fill: 'black' }),
        Plot.text(nodes, {
          x: (n: Cell[]) => n[1],
          y: (n: Cell[]) => n[2],
          text: (n: Cell[]) => n[0],
          dx: -6,
          textAnchor: 'end',
          fontSize: 9,
        }),
      ],
    }),
  };
}
