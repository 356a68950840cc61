/** Cache-browser figures: a hook-point slice as a heatmap with labelled axes; residual-stream norms. */
import type { CacheSlice } from '../dynamic/cacheBrowser.ts';
import type { ResidNormsResult } from '../dynamic/residNorms.ts';
import { resolveIndex } from '../dynamic/run.ts';
import { heatmapFigure, lineFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';

export function cacheSliceFigure(s: CacheSlice): FigureSpec {
  const [R, C] = s.data.shape;
  const rows: Cell[][] = [];
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) rows.push([s.rowLabels[r], s.colLabels[c], s.data.data[r * C + c]]);
  const fixed = Object.entries(s.fixed)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return heatmapFigure({
    title: `${s.hook}${fixed ? ` [${fixed}]` : ''}`,
    columns: [s.rows, s.cols, 'value'],
    rows,
    x: { column: 1, domain: s.colLabels, label: s.cols },
    y: { column: 0, domain: s.rowLabels, label: s.rows },
    value: 2,
    cellSize: Math.max(4, Math.min(16, Math.floor(900 / Math.max(R, C)))),
  });
}

/** L2 norm of each accumulated residual state at one (batch, position). */
export function residNormsFigure(
  r: ResidNormsResult,
  sel: { batch?: number; position?: number } = {},
): FigureSpec {
  const [, B, P] = r.accumulated.norms.shape;
  const b = resolveIndex(sel.batch ?? 0, B, 'batch index');
  const p = resolveIndex(sel.position ?? -1, P, 'token position');
  const rows: Cell[][] = r.accumulated.labels.map((l, i) => [
    l,
    r.accumulated.norms.data[(i * B + b) * P + p],
  ]);
  return lineFigure({
    title: `residual stream L2 norm at ${r.tokenLabels[p]}`,
    columns: ['residual state', 'L2 norm'],
    rows,
    x: { column: 0, domain: r.accumulated.labels, label: 'residual stream state' },
    y: 1,
  });
}
