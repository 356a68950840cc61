/** Observable Plot recipes shared by the panels: heatmaps with labelled axes, bar and line charts. */
import * as Plot from '@observablehq/plot';

export interface Cell {
  row: string;
  col: string;
  value: number;
}

/** The colour range a heatmap uses (for captions; the heatmaps carry no legend, which is costly to draw). */
export function colourRange(
  values: ArrayLike<number>,
  scheme: 'diverging' | 'sequential',
  limit?: number,
): string {
  let m = 0;
  for (let i = 0; i < values.length; i++)
    if (Number.isFinite(values[i]) && Math.abs(values[i]) < 1e4) m = Math.max(m, Math.abs(values[i]));
  const l = (limit ?? m).toPrecision(3);
  return scheme === 'sequential' ? `white 0 → blue ${l}` : `blue −${l} · white 0 · red +${l}`;
}

/** Cells of a [R, C] row-major matrix with labels. */
export function matrixCells(data: ArrayLike<number>, rowLabels: string[], colLabels: string[]): Cell[] {
  const cells: Cell[] = [];
  const C = colLabels.length;
  for (let r = 0; r < rowLabels.length; r++)
    for (let c = 0; c < C; c++) cells.push({ row: rowLabels[r], col: colLabels[c], value: data[r * C + c] });
  return cells;
}

export interface HeatmapOptions {
  rowLabels: string[];
  colLabels: string[];
  xLabel?: string;
  yLabel?: string;
  /** 'diverging' (RdBu around 0, DTI's look) or 'sequential' (for probabilities). */
  scheme?: 'diverging' | 'sequential';
  /** Symmetric colour limit (default max |value|). */
  limit?: number;
  width?: number;
  height?: number;
  /** Print values in the cells (only sensible for small matrices). */
  text?: boolean;
}

export function heatmap(cells: Cell[], o: HeatmapOptions): SVGSVGElement | HTMLElement {
  const finite = cells.map((c) => c.value).filter((v) => Number.isFinite(v) && Math.abs(v) < 1e4);
  const maxAbs = o.limit ?? Math.max(1e-9, ...finite.map(Math.abs));
  const sequential = o.scheme === 'sequential';
  const cellW = Math.max(4, Math.min(28, 640 / Math.max(o.colLabels.length, 1)));
  const cellH = Math.max(14, Math.min(28, 520 / Math.max(o.rowLabels.length, 1)));
  const tickEvery = (n: number) => (n > 40 ? Math.ceil(n / 20) : 1);
  const ticks = (labels: string[]) => labels.filter((_, i) => i % tickEvery(labels.length) === 0);
  return Plot.plot({
    width: o.width ?? 90 + cellW * o.colLabels.length,
    height: o.height ?? 110 + cellH * o.rowLabels.length,
    marginLeft: 70,
    marginBottom: 50,
    style: { fontSize: '11px' },
    x: { domain: o.colLabels, label: o.xLabel ?? null, tickRotate: -45, ticks: ticks(o.colLabels) },
    y: { domain: o.rowLabels, label: o.yLabel ?? null, ticks: ticks(o.rowLabels) },
    color: sequential
      ? { type: 'linear', scheme: 'blues', domain: [0, maxAbs], label: null }
      : {
          type: 'linear',
          scheme: 'rdbu',
          domain: [-maxAbs, maxAbs],
          reverse: true,
          label: null,
        },
    marks: [
      Plot.cell(cells, {
        x: 'col',
        y: 'row',
        fill: (d: Cell) => Math.max(-maxAbs, Math.min(maxAbs, d.value)),
        inset: 0.5,
        channels: { value: { value: 'value', label: 'value' } },
        tip: { format: { fill: false, value: (v: number) => v.toPrecision(4) } },
      }),
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
        fill: (b: Bar) => (b.label === o.highlight ? '#2563eb' : b.value < 0 ? '#dc2626' : '#60a5fa'),
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
        fill: (b: Bar) => (b.value < 0 ? '#dc2626' : '#2563eb'),
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
