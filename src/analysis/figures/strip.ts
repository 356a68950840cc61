/**
 * Strip plots (DTI's "Unstructured" scatters): one dot per value, x = rank in the given order, y = the
 * value, coloured by a group column; optionally a random baseline drawn as its mean (solid rule) and
 * 95% band (dashed rules). Scatter: two value columns against each other (action-vs-action views).
 */
import * as Plot from '@observablehq/plot';
import type { Baseline } from '../static/grams.ts';
import { type Cell, type FigureSpec, col, hover } from './figure.ts';

export interface StripOptions {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Index of the value column */
  value: number;
  /** Index of the colour column */
  group?: number;
  baseline?: Baseline;
}

export function stripFigure(o: StripOptions): FigureSpec {
  const index = new Map(o.rows.map((r, i) => [r, i]));
  const fill = o.group === undefined ? 'steelblue' : col(o.group);
  const marks: Plot.Markish[] = [];
  if (o.baseline) {
    marks.push(
      Plot.ruleY([o.baseline.mean], { stroke: 'black' }),
      Plot.ruleY([o.baseline.lo, o.baseline.hi], { stroke: 'gray', strokeDasharray: '4,3' }),
    );
  }
  return {
    title: o.baseline ? `${o.title} (baseline mean ${o.baseline.mean.toFixed(3)}, 95% band dashed)` : o.title,
    table: { columns: o.columns, rows: o.rows },
    options: (interactive) => ({
      width: Math.max(760, Math.min(1400, 200 + o.rows.length * 2)),
      height: 380,
      marginTop: 40,
      marginLeft: 70,
      x: { axis: null },
      y: { label: o.columns[o.value], grid: true },
      ...(o.group !== undefined && { color: { legend: false, type: 'categorical' as const } }),
      marks: [
        ...marks,
        Plot.dot(o.rows, {
          x: (r: Cell[]) => index.get(r),
          y: col(o.value),
          fill,
          r: 3,
          ...hover(o.columns, interactive),
        }),
      ],
    }),
  };
}

/** Scatter of two value columns (x, y), coloured by a group column. */
export function scatterFigure(o: {
  title: string;
  columns: string[];
  rows: Cell[][];
  x: number;
  y: number;
  group?: number;
}): FigureSpec {
  return {
    title: o.title,
    table: { columns: o.columns, rows: o.rows },
    options: (interactive) => ({
      width: 520,
      height: 460,
      marginTop: 40,
      marginLeft: 70,
      x: { label: o.columns[o.x], grid: true },
      y: { label: o.columns[o.y], grid: true },
      ...(o.group !== undefined && { color: { legend: false, type: 'categorical' as const } }),
      marks: [
        Plot.ruleX([0]),
        Plot.ruleY([0]),
        Plot.dot(o.rows, {
          x: col(o.x),
          y: col(o.y),
          fill: o.group === undefined ? 'steelblue' : col(o.group),
          r: 3.5,
          ...hover(o.columns, interactive),
        }),
      ],
    }),
  };
}
