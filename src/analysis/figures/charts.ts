/**
 * The three chart shapes every analysis figure is built from: heatmaps (optionally faceted), bar
 * charts of labelled contributions, and line charts over an ordered axis. Each returns a FigureSpec
 * whose table is exactly the plotted data.
 */
import * as Plot from '@observablehq/plot';
import { type Cell, type FigureSpec, col, valueColour, hover } from './figure.ts';

export interface Axis {
  /** Index of the table column */
  column: number;
  /** Ordered categories */
  domain: string[];
  label: string;
}

export interface HeatmapOptions {
  title: string;
  columns: string[];
  rows: Cell[][];
  x: Axis;
  y: Axis;
  /** Index of the value column (coloured with RdBu centred at 0) */
  value: number;
  fx?: Axis;
  fy?: Axis;
  /** Pixel size of one cell (default 16) */
  cellSize?: number;
  /** Hide tick labels (small multiples) */
  thumbnails?: boolean;
}

const MAX_TICK_LABELS = 60;

export function heatmapFigure(o: HeatmapOptions): FigureSpec {
  const cell = o.cellSize ?? 16;
  const nfx = o.fx?.domain.length ?? 1;
  const nfy = o.fy?.domain.length ?? 1;
  const gap = o.fx || o.fy ? 10 : 0;
  const ticks = (a: Axis) => (o.thumbnails || a.domain.length > MAX_TICK_LABELS ? null : undefined);
  // room for the tick labels (11 px sans-serif, ~6.5 px a character): rows keep their first letter,
  // column labels wider than a cell stand vertically and the bottom margin holds them
  const longest = (a: Axis) => (ticks(a) === null ? 0 : Math.max(0, ...a.domain.map((d) => d.length)));
  const rotate = o.x.domain.length > 12 || longest(o.x) * 6.5 > cell;
  const margin = {
    top: o.fx ? 34 : 10,
    left: o.thumbnails ? 30 : Math.max(70, Math.ceil(longest(o.y) * 6.5) + 30),
    bottom: o.thumbnails ? 20 : Math.max(60, rotate ? Math.ceil(longest(o.x) * 6.5) + 36 : 0),
    right: 20,
  };
  return {
    title: o.title,
    table: { columns: o.columns, rows: o.rows },
    options: (interactive) => ({
      width: margin.left + margin.right + nfx * (o.x.domain.length * cell + gap),
      height: margin.top + margin.bottom + nfy * (o.y.domain.length * cell + gap),
      marginTop: margin.top,
      marginLeft: margin.left,
      marginBottom: margin.bottom,
      marginRight: margin.right,
      padding: 0,
      x: {
        domain: o.x.domain,
        label: o.x.label,
        axis: ticks(o.x),
        tickRotate: rotate ? -90 : 0,
      },
      y: { domain: o.y.domain, label: o.y.label, axis: ticks(o.y) },
      ...(o.fx && { fx: { domain: o.fx.domain, label: o.fx.label } }),
      ...(o.fy && { fy: { domain: o.fy.domain, label: o.fy.label } }),
      color: valueColour(
        o.columns[o.value],
        o.rows.map((r) => r[o.value]),
      ),
      marks: [
        Plot.cell(o.rows, {
          x: col(o.x.column),
          y: col(o.y.column),
          fill: col(o.value),
          ...(o.fx && { fx: col(o.fx.column) }),
          ...(o.fy && { fy: col(o.fy.column) }),
          inset: 0,
          ...hover(o.columns, interactive),
        }),
      ],
    }),
  };
}

export interface BarOptions {
  title: string;
  labels: string[];
  values: number[];
  /** Name of the label axis and of the value axis */
  labelName: string;
  valueName: string;
}

/** Vertical bars per label in the given order, coloured by sign (RdBu at 0). */
export function barFigure(o: BarOptions): FigureSpec {
  const columns = [o.labelName, o.valueName];
  const rows: Cell[][] = o.labels.map((l, i) => [l, o.values[i]]);
  const many = o.labels.length > MAX_TICK_LABELS;
  // Labels stand at −60°: they reach down about 0.87 and left about 0.5 of their length (6.5 px a
  // character), so the margins grow with the longest one and no label is cut.
  const longest = many ? 0 : Math.max(0, ...o.labels.map((l) => l.length));
  const marginLeft = Math.max(70, Math.ceil(longest * 6.5 * 0.5) + 10);
  const marginBottom = many ? 40 : Math.max(110, Math.ceil(longest * 6.5 * 0.87) + 40);
  return {
    title: o.title,
    table: { columns, rows },
    options: (interactive) => ({
      width: Math.max(360, Math.min(1400, 50 + marginLeft + o.labels.length * 22)),
      height: 250 + marginBottom,
      marginTop: 16,
      marginLeft,
      marginBottom,
      x: { domain: o.labels, label: o.labelName, tickRotate: -60, axis: many ? null : undefined },
      y: { label: o.valueName, grid: true, labelAnchor: 'center' },
      color: valueColour(o.valueName, o.values),
      marks: [
        Plot.barY(rows, { x: col(0), y: col(1), fill: col(1), ...hover(columns, interactive) }),
        Plot.ruleY([0]),
      ],
    }),
  };
}

export interface LineOptions {
  title: string;
  columns: string[];
  rows: Cell[][];
  x: Axis;
  /** Index of the y column */
  y: number;
  /** Index of a series column (one line per series) */
  series?: number;
}

/** Dash patterns of successive series: overlapping lines stay visible. */
const DASHES = ['', '7 4', '2 3', '10 3 2 3'];

/**
 * Lines with dots over an ordered categorical x axis, with a rule at y = 0. Series differ in colour,
 * dash pattern and dot shape (hollow), so lines that overlap stay visible.
 */
export function lineFigure(o: LineOptions): FigureSpec {
  const z = o.series === undefined ? undefined : col(o.series);
  const series = o.series === undefined ? [undefined] : [...new Set(o.rows.map((r) => r[o.series!]))];
  // a legend right of the frame names every series (its colour and dot shape), one per line
  const named = series.filter((n): n is Cell => n !== undefined);
  const legendWidth = seriesLegendWidth(named);
  return {
    title: o.title,
    table: { columns: o.columns, rows: o.rows },
    options: (interactive) => ({
      width: Math.max(420, 120 + o.x.domain.length * 60) + legendWidth,
      height: Math.max(340, 16 + 50 + named.length * LEGEND_LINE),
      marginTop: 16,
      marginLeft: 70,
      marginBottom: 50,
      marginRight: 20 + legendWidth,
      x: { type: 'point', domain: o.x.domain, label: o.x.label, padding: 0.3 },
      y: { label: o.columns[o.y], grid: true, labelAnchor: 'center' },
      ...(z && { color: { type: 'categorical', legend: false }, symbol: { legend: false } }),
      marks: [
        Plot.ruleY([0]),
        ...series.map((name, i) =>
          Plot.line(name === undefined ? o.rows : o.rows.filter((r) => r[o.series!] === name), {
            x: col(o.x.column),
            y: col(o.y),
            stroke: z ?? 'steelblue',
            strokeWidth: 2,
            strokeOpacity: 0.85,
            strokeDasharray: DASHES[i % DASHES.length],
          }),
        ),
        Plot.dot(o.rows, {
          x: col(o.x.column),
          y: col(o.y),
          stroke: z ?? 'steelblue',
          fill: 'white',
          strokeWidth: 1.5,
          symbol: z ?? 'circle',
          r: 3.5,
          ...hover(o.columns, interactive),
        }),
        ...seriesLegend(named, true),
      ],
    }),
  };
}

/** Height (px) of one line of a series legend. */
export const LEGEND_LINE = 15;

/** Width (px) a series legend takes right of the frame (0 without series). */
export const seriesLegendWidth = (names: readonly Cell[]): number =>
  names.length ? Math.ceil(40 + 6.5 * Math.max(...names.map((n) => String(n).length))) : 0;

/**
 * A legend right of the frame (give it `seriesLegendWidth` of right margin): one line per series, its
 * dot in the series' colour (and shape, with `symbols`) then its name.
 */
export function seriesLegend(names: readonly Cell[], symbols: boolean): Plot.Markish[] {
  return names.flatMap((name, i) => legendEntry(name, i, symbols));
}

function legendEntry(name: Cell, i: number, symbols: boolean): Plot.Markish[] {
  const at = { frameAnchor: 'top-right', dy: i * LEGEND_LINE + 4 } as const;
  const dot = symbols
    ? { stroke: () => name, symbol: () => name, fill: 'white' }
    : { fill: () => name, stroke: 'none' };
  return [
    Plot.dot([name], { ...at, dx: 16, ...dot, r: 3.5 }),
    Plot.text([name], { ...at, dx: 26, text: () => String(name), textAnchor: 'start', fill: 'currentColor' }),
  ];
}
