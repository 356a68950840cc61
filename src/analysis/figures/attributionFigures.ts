/** Attribution patching vs real patching -> a scatter of the two scores per cell, with y = x. */
import * as Plot from '@observablehq/plot';
import type { AttributionComparison } from '../causal/attributionPatching.ts';
import { type FigureSpec, col, hover } from './figure.ts';

export function attributionScatterFigure(c: AttributionComparison): FigureSpec {
  const title = `Attribution vs activation patching: ${c.sweep.kind} (${c.mode}, ${c.metric}), r = ${c.correlation.toFixed(3)}`;
  const columns = ['cell', 'attribution', 'patching'];
  const rows = Array.from(c.actual, (a, i) => [i, c.attribution[i], a]);
  const lo = Math.min(0, ...c.actual, ...c.attribution);
  const hi = Math.max(1, ...c.actual, ...c.attribution);
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      width: 420,
      height: 420,
      marginTop: 40,
      x: { domain: [lo, hi], label: 'activation patching (score)', grid: true },
      y: { domain: [lo, hi], label: 'attribution patching (score)', grid: true },
      marks: [
        Plot.line(
          [
            [lo, lo],
            [hi, hi],
          ],
          { stroke: '#bbb' },
        ),
        Plot.dot(rows, { x: col(2), y: col(1), fill: 'steelblue', r: 3, ...hover(columns, interactive) }),
      ],
    }),
  };
}
