/**
 * Scan figures (RTG scan, coefficient scan): action logits or probabilities vs the scanned value
 * (lines), the decomposition of the logit difference vs the value (one line per component), the
 * clustergram (correlation heatmap in dendrogram order with the dendrogram drawn above it) and the
 * attention of the scan's query to every key vs the value (a key × value heatmap per head).
 */
import * as Plot from '@observablehq/plot';
import { check } from '../../errors.ts';
import type { DecompositionLevel } from '../dynamic/decomposition.ts';
import type { ScanRows } from '../scans/batchedScan.ts';
import type { CorrelationResult } from '../scans/correlation.ts';
import type { RankAttentionResult } from '../scans/rankAttention.ts';
import { normalizeResponses } from '../scans/normalize.ts';
import { LEGEND_LINE, heatmapFigure, seriesLegend, seriesLegendWidth } from './charts.ts';
import { signedScale } from './colours.ts';
import { type Cell, type FigureSpec, col, hover } from './figure.ts';

export const SCAN_FIGURES = ['logits', 'probabilities', 'decomposition', 'clustergram', 'attention'] as const;
export type ScanFigure = (typeof SCAN_FIGURES)[number];

/** The scanned axis: its name ("RTG", "coefficient") and the value of every row. */
export interface ScanAxis {
  axis: string;
  values: readonly number[];
}

export interface ScanFigureOptions {
  /** Decomposition level drawn (default components) */
  level?: DecompositionLevel;
  normalize?: boolean;
  /** Attention figure: value-weighted instead of the plain pattern */
  weighted?: boolean;
}

type ScanResult = ScanRows & { correlation: CorrelationResult | null };

export function scanFigure(
  r: ScanResult,
  kind: ScanFigure,
  axis: ScanAxis,
  options: ScanFigureOptions = {},
): FigureSpec {
  switch (kind) {
    case 'logits':
    case 'probabilities':
      return actionsFigure(r, axis, kind);
    case 'decomposition':
      return decompositionScanFigure(r, axis, options);
    case 'clustergram':
      check(r.correlation, 'BAD_INPUT', 'the clustergram needs the components level of the decomposition');
      return clustergramFigure(r.correlation, axis.axis);
    case 'attention':
      return attentionScanFigure(r, axis, options.weighted ?? false);
  }
}

/**
 * Marks of one line per series (rows `[x, series, y, ...]`), labelled at its last point (past
 * `MAX_END_LABELS` series, in a legend right of the frame), with a dot per row carrying the hover
 * values. Size the figure with `labelledLinesFit`.
 */
export function labelledLines(
  rows: Cell[][],
  columns: string[],
  interactive: boolean,
  r: number,
): Plot.Markish[] {
  const names = seriesNames(rows);
  return [
    Plot.line(rows, { x: col(0), y: col(2), z: col(1), stroke: col(1) }),
    // many end labels overlap: past MAX_END_LABELS series a legend names them instead
    names.length > MAX_END_LABELS
      ? seriesLegend(names, false)
      : Plot.text(
          rows,
          Plot.selectLast({
            x: col(0),
            y: col(2),
            z: col(1),
            text: col(1),
            fill: col(1),
            textAnchor: 'start',
            dx: 4,
          }),
        ),
    Plot.dot(rows, { x: col(0), y: col(2), fill: col(1), r, ...hover(columns, interactive) }),
  ];
}

const MAX_END_LABELS = 8;
const seriesNames = (rows: Cell[][]) => [...new Set(rows.map((r) => r[1]))];

/**
 * Right margin and height of a `labelledLines` figure: room for its longest end label or its legend
 * (one line per series).
 */
export function labelledLinesFit(rows: Cell[][], height: number): { marginRight: number; height: number } {
  const names = seriesNames(rows);
  return {
    marginRight: Math.max(20, 20 + seriesLegendWidth(names)),
    height: names.length > MAX_END_LABELS ? Math.max(height, 80 + names.length * LEGEND_LINE) : height,
  };
}

/** Lines over a numeric x axis, one per series, with a rule at y = 0 (rows `[x, series, y]`). */
export function seriesFigure(title: string, columns: [string, string, string], rows: Cell[][]): FigureSpec {
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      ...labelledLinesFit(rows, 360),
      width: 530 + labelledLinesFit(rows, 360).marginRight,
      marginTop: 40,
      marginLeft: 70,
      x: { label: columns[0], grid: true },
      y: { label: columns[2], grid: true, labelAnchor: 'center' },
      color: { legend: false },
      marks: [Plot.ruleY([0]), ...labelledLines(rows, columns, interactive, 1.5)],
    }),
  };
}

function actionsFigure(r: ScanResult, a: ScanAxis, kind: 'logits' | 'probabilities'): FigureSpec {
  const arr = kind === 'logits' ? r.logits : r.probabilities;
  const A = arr.shape[1];
  const rows: Cell[][] = [];
  for (let a0 = 0; a0 < A; a0++)
    a.values.forEach((v, i) => rows.push([v, r.actionNames[a0], arr.data[i * A + a0]]));
  const name = kind === 'logits' ? 'logit' : 'probability';
  return seriesFigure(`action ${kind} at ${r.tokenLabel} vs ${a.axis}`, [a.axis, 'action', name], rows);
}

function decompositionScanFigure(r: ScanResult, a: ScanAxis, o: ScanFigureOptions): FigureSpec {
  const level = o.level ?? 'components';
  const d = r.decomposition[level];
  check(d, 'BAD_INPUT', `the scan was computed without the ${level} level`);
  const values = o.normalize ? normalizeResponses(d.values) : d.values;
  const rows: Cell[][] = [];
  d.labels.forEach((label, c) => a.values.forEach((v, i) => rows.push([v, label, values[c][i]])));
  const what = `${o.normalize ? 'normalised ' : ''}contribution (${d.lnScaled ? 'LN-scaled' : 'no LN scaling'})`;
  return seriesFigure(
    `${r.direction.label} decomposition at ${r.tokenLabel} vs ${a.axis}`,
    [a.axis, 'component', what],
    rows,
  );
}

/**
 * Correlation heatmap in dendrogram order, the dendrogram above it (x and y in cell units). `similarity`
 * names another similarity in `c.values` (title and value column), e.g. cosine similarity.
 */
export function clustergramFigure(c: CorrelationResult, axis: string, similarity?: string): FigureSpec {
  const k = c.labels.length;
  const pos = new Map(c.order.map((leaf, i) => [leaf, i + 0.5]));
  const columns = ['component', 'other component', similarity ?? `correlation over ${axis}`];
  const rows: Cell[][] = [];
  const cells: { x: number; y: number; row: Cell[] }[] = [];
  c.order.forEach((i, yi) =>
    c.order.forEach((j, xi) => {
      const row = [c.labels[i], c.labels[j], c.values[i][j]];
      rows.push(row);
      cells.push({ x: xi, y: yi, row });
    }),
  );
  // Dendrogram: node x = mean of its children's x, height scaled to 3 cells above the heatmap.
  const maxD = Math.max(1e-12, ...c.merges.map((m) => m.distance));
  const height = (dist: number) => -0.3 - (3 * dist) / maxD;
  const nodeX: number[] = c.labels.map((_, i) => pos.get(i)!);
  const nodeY: number[] = c.labels.map(() => -0.3);
  const links: { x1: number; y1: number; x2: number; y2: number }[] = [];
  c.merges.forEach((m) => {
    const y = height(m.distance);
    const [xl, xr] = [nodeX[m.left], nodeX[m.right]];
    links.push(
      { x1: xl, y1: nodeY[m.left], x2: xl, y2: y },
      { x1: xr, y1: nodeY[m.right], x2: xr, y2: y },
      { x1: xl, y1: y, x2: xr, y2: y },
    );
    nodeX.push((xl + xr) / 2);
    nodeY.push(y);
  });
  const cell = Math.max(8, Math.min(28, Math.floor(560 / Math.max(1, k))));
  const ticks = c.order.map((_, i) => i + 0.5);
  const tickFormat = (v: number) => c.labels[c.order[Math.floor(v)]] ?? '';
  const title = similarity
    ? `${similarity} of the components (average linkage on 1 − similarity)`
    : `clustergram of the components' responses to ${axis} (${c.method === 'dti' ? "DTI's single linkage" : 'average linkage on 1 − correlation'})`;
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      width: 110 + k * cell + 20,
      height: 50 + (k + 3.3) * cell + 90,
      marginTop: 50,
      marginLeft: 110,
      marginBottom: 90,
      x: { domain: [0, k], ticks, tickFormat, tickRotate: -90, label: null },
      y: { domain: [-3.3, k], reverse: true, ticks, tickFormat, label: null },
      color: signedScale(1, columns[2]),
      marks: [
        Plot.rect(cells, {
          x1: (d: { x: number }) => d.x,
          x2: (d: { x: number }) => d.x + 1,
          y1: (d: { y: number }) => d.y,
          y2: (d: { y: number }) => d.y + 1,
          fill: (d: { row: Cell[] }) => d.row[2],
          ...hoverOf(columns, interactive),
        }),
        Plot.link(links, { x1: 'x1', y1: 'y1', x2: 'x2', y2: 'y2', stroke: '#444' }),
      ],
    }),
  };
}

/** `hover` for marks whose data are `{row}` objects. */
function hoverOf(columns: string[], interactive: boolean): Pick<Plot.MarkOptions, 'title' | 'tip'> {
  const h = hover(columns, interactive);
  const title = h.title as (row: Cell[]) => string;
  return { ...h, title: (d: { row: Cell[] }) => title(d.row) };
}

/** Attention from the scan's query to every key vs the scanned value, one panel per head. */
function attentionScanFigure(r: ScanResult, a: ScanAxis, weighted: boolean): FigureSpec {
  const at = r.attention;
  check(at, 'BAD_INPUT', 'the scan was run without an attention query');
  const data = weighted ? at.weighted : at.pattern;
  const [nh, n, P] = data.shape;
  const keys = r.tokenLabels.slice(0, at.query + 1);
  const xs = a.values.map((v) => v.toPrecision(3));
  const rows: Cell[][] = [];
  for (let h = 0; h < nh; h++)
    for (let i = 0; i < n; i++)
      for (let k = 0; k <= at.query; k++)
        rows.push([at.heads[h], xs[i], keys[k], data.data[(h * n + i) * P + k]]);
  const what = weighted ? `attention × ‖v_${at.weighting === 'key' ? 'key' : 'query'}‖` : 'attention';
  return heatmapFigure({
    title: `${what} from ${at.queryLabel} to each key vs ${a.axis}`,
    columns: ['head', a.axis, 'key', what],
    rows,
    x: { column: 1, domain: [...new Set(xs)], label: a.axis },
    y: { column: 2, domain: keys, label: 'key' },
    fy: { column: 0, domain: at.heads, label: 'head' },
    value: 3,
    cellSize: 6,
  });
}

/** Rank-k attention: each head's pattern distance (mean total variation) to the full pattern vs k. */
export function rankAttentionFigure(r: RankAttentionResult): FigureSpec {
  const rows: Cell[][] = [];
  r.heads.forEach((h, i) => r.ranks.forEach((k, j) => rows.push([k, h, r.distance[i][j]])));
  return seriesFigure(
    'attention pattern at rank k of W_QK: distance to the full pattern (mean total variation over queries)',
    ['rank k', 'head', 'total variation distance'],
    rows,
  );
}
