/**
 * Observable Plot recipes shared by the panels: heatmaps with labelled axes and a colour legend, bar and
 * line charts, all in dtlens's colour convention (`src/analysis/figures/colours.ts`: positive blue,
 * negative red, masked grey).
 */
import * as Plot from '@observablehq/plot';
import {
  MASKED_CSS,
  barColour,
  maxAbs as dataMaxAbs,
  legendSvg,
  sequentialScale,
  signedScale,
} from '../../../src/analysis/figures/colours.ts';
import { canvasHeatmap } from './canvasHeatmap.ts';

export interface Cell {
  row: string;
  col: string;
  value: number;
  /** Row and column indices. */
  r: number;
  c: number;
}

/** Above this many cells heatmaps are drawn as one raster image (SVG cells cost too much to lay out). */
const RASTER_ABOVE = 400;

/** Cells of a [R, C] row-major matrix with labels. */
export function matrixCells(data: ArrayLike<number>, rowLabels: string[], colLabels: string[]): Cell[] {
  const cells: Cell[] = [];
  const C = colLabels.length;
  for (let r = 0; r < rowLabels.length; r++)
    for (let c = 0; c < C; c++)
      cells.push({ row: rowLabels[r], col: colLabels[c], value: data[r * C + c], r, c });
  return cells;
}

export interface HeatmapOptions {
  rowLabels: string[];
  colLabels: string[];
  xLabel?: string;
  yLabel?: string;
  /** 'diverging' (signed: red − white 0 − blue +) or 'sequential' (non-negative: white to blue). */
  scheme?: 'diverging' | 'sequential';
  /** Symmetric colour limit (default max |value| of the data; NaN cells are masked, drawn grey). */
  limit?: number;
  /** Label of the colour legend (default 'value'). */
  legend?: string;
  width?: number;
  height?: number;
  /** Print values in the cells (only sensible for small matrices). */
  text?: boolean;
}

/** Geometry and colour limit shared by the SVG heatmap and its canvas form. */
export interface HeatmapLayout {
  cellW: number;
  cellH: number;
  marginLeft: number;
  marginTop: number;
  marginBottom: number;
  width: number;
  height: number;
  maxAbs: number;
  /** The labels that get a tick (every label up to 40, then about 20). */
  ticks: (labels: string[]) => string[];
}

export function heatmapLayout(cells: Cell[], o: HeatmapOptions): HeatmapLayout {
  const cellW = Math.max(4, Math.min(28, 640 / Math.max(o.colLabels.length, 1)));
  const cellH = Math.max(14, Math.min(28, 520 / Math.max(o.rowLabels.length, 1)));
  const tickEvery = (n: number) => (n > 40 ? Math.ceil(n / 20) : 1);
  const ticks = (labels: string[]) => labels.filter((_, i) => i % tickEvery(labels.length) === 0);
  // the longest row label (11 px sans-serif, ~6.5 px a character) keeps its first letters
  const marginLeft = Math.max(
    70,
    30 + Math.ceil(6.5 * Math.max(0, ...ticks(o.rowLabels).map((l) => l.length))),
  );
  return {
    cellW,
    cellH,
    marginLeft,
    marginTop: 20,
    // room below the axis label for descenders and underscores (d_model)
    marginBottom: 58,
    width: o.width ?? marginLeft + 20 + cellW * o.colLabels.length,
    height: o.height ?? 118 + cellH * o.rowLabels.length,
    maxAbs: o.limit || dataMaxAbs(cells.map((c) => c.value)) || 1e-9,
    ticks,
  };
}

/** A heatmap with its colour legend below it (one element; exports stack both into one SVG). */
export function heatmap(cells: Cell[], o: HeatmapOptions): HTMLElement {
  const layout = heatmapLayout(cells, o);
  const colour = (o.scheme === 'sequential' ? sequentialScale : signedScale)(
    layout.maxAbs,
    o.legend ?? 'value',
  );
  const wrap = document.createElement('div');
  wrap.className = 'heatmap';
  wrap.append(
    heatmapPlot(cells, o, colour, layout),
    legendSvg(document, colour, { masked: cells.some((c) => Number.isNaN(c.value)) }),
  );
  return wrap;
}

/**
 * `draw` and `exportDraw` of a heatmap `Figure`: above `RASTER_ABOVE` cells (without printed values) it
 * is drawn on screen to a canvas (`canvasHeatmap`); exports are vector SVG (one cell mark per entry).
 */
export function heatmapDraws(
  cells: Cell[],
  o: HeatmapOptions,
): { draw: () => HTMLElement; exportDraw: () => HTMLElement } {
  const exportDraw = () => heatmap(cells, o);
  if (cells.length <= RASTER_ABOVE || o.text) return { draw: exportDraw, exportDraw };
  return { draw: () => canvasHeatmap(cells, o, heatmapLayout(cells, o)), exportDraw };
}

function heatmapPlot(
  cells: Cell[],
  o: HeatmapOptions,
  colour: Plot.ScaleOptions,
  layout: HeatmapLayout,
): SVGSVGElement | HTMLElement {
  const sequential = o.scheme === 'sequential';
  const { maxAbs, ticks } = layout;
  return Plot.plot({
    width: layout.width,
    height: layout.height,
    marginLeft: layout.marginLeft,
    marginTop: layout.marginTop,
    marginBottom: layout.marginBottom,
    style: { fontSize: '11px' },
    x: { domain: o.colLabels, label: o.xLabel ?? null, tickRotate: -45, ticks: ticks(o.colLabels) },
    y: { domain: o.rowLabels, label: o.yLabel ?? null, ticks: ticks(o.rowLabels) },
    color: { ...colour, label: null },
    marks: [
      // masked entries (NaN): grey, never a data colour
      Plot.cell(
        cells.filter((d) => Number.isNaN(d.value)),
        { x: 'col', y: 'row', fill: MASKED_CSS, inset: 0.5 },
      ),
      Plot.cell(
        cells.filter((d) => !Number.isNaN(d.value)),
        {
          x: 'col',
          y: 'row',
          fill: (d: Cell) => Math.max(-maxAbs, Math.min(maxAbs, d.value)),
          inset: 0.5,
          channels: { value: { value: 'value', label: 'value' } },
          tip: { format: { fill: false, value: (v: number) => v.toPrecision(4) } },
        },
      ),
      // Values in the cells: white on saturated cells, black elsewhere (constant fills, no colour scale).
      ...(o.text
        ? [false, true].map((dark) =>
            Plot.text(cells, {
              filter: (d: Cell) => (!sequential && Math.abs(d.value) > 0.6 * maxAbs) === dark,
              x: 'col',
              y: 'row',
              text: (d: Cell) => d.value.toFixed(2),
              fill: dark ? 'white' : 'black',
              fontSize: 9,
            }),
          )
        : []),
    ],
  });
}

export interface Bar {
  label: string;
  value: number;
}

/** Horizontal bars in the given order, values printed at the bar ends. */
export function barsX(
  bars: Bar[],
  o: { xLabel?: string; domain?: [number, number]; width?: number; format?: string; highlight?: string } = {},
) {
  const fmt = (v: number) => (o.format === '%' ? `${(v * 100).toFixed(1)}%` : v.toFixed(3));
  return Plot.plot({
    width: o.width ?? 360,
    height: 28 + 22 * bars.length,
    marginLeft: 90,
    marginRight: 48,
    style: { fontSize: '12px' },
    x: { domain: o.domain, label: o.xLabel ?? null, grid: true },
    y: { domain: bars.map((b) => b.label), label: null },
    marks: [
      Plot.barX(bars, {
        x: 'value',
        y: 'label',
        fill: (b: Bar) => barColour(b.value),
        fillOpacity: (b: Bar) => (o.highlight === undefined || b.label === o.highlight ? 1 : 0.55),
        tip: { format: { x: (v: number) => fmt(v), fill: false } },
      }),
      Plot.text(bars, {
        x: 'value',
        y: 'label',
        text: (b: Bar) => fmt(b.value),
        dx: 4,
        textAnchor: 'start',
        fontSize: 11,
      }),
      Plot.ruleX([0]),
    ],
  });
}

/** Vertical bars over labelled categories (e.g. per-component attributions). */
export function barsY(bars: Bar[], o: { yLabel?: string; width?: number } = {}) {
  return Plot.plot({
    width: o.width ?? Math.max(320, 40 + bars.length * 28),
    height: 300,
    marginBottom: 70,
    marginLeft: 56,
    style: { fontSize: '11px' },
    x: { domain: bars.map((b) => b.label), label: null, tickRotate: -45 },
    y: { label: o.yLabel ?? null, grid: true },
    marks: [
      Plot.barY(bars, {
        x: 'label',
        y: 'value',
        fill: (b: Bar) => barColour(b.value),
        tip: { format: { y: (v: number) => v.toFixed(4), fill: false } },
      }),
      Plot.ruleY([0]),
    ],
  });
}

/** A line with dots over ordered categories. */
export function lineOver(points: Bar[], o: { yLabel?: string; width?: number } = {}) {
  return Plot.plot({
    width: o.width ?? Math.max(320, 60 + points.length * 48),
    height: 260,
    marginBottom: 50,
    marginLeft: 56,
    style: { fontSize: '11px' },
    x: { domain: points.map((p) => p.label), label: null, tickRotate: -30 },
    y: { label: o.yLabel ?? null, grid: true },
    marks: [
      Plot.ruleY([0]),
      Plot.line(points, { x: 'label', y: 'value', stroke: '#2563eb' }),
      Plot.dot(points, {
        x: 'label',
        y: 'value',
        fill: '#2563eb',
        tip: { format: { y: (v: number) => v.toFixed(4) } },
      }),
    ],
  });
}
