/**
 * Figures of the dataset analyses: residual-stream (or component) norms by position as mean lines with
 * ±1 std bands, excess kurtosis per hook point in the standard basis against the spread over random
 * rotations, and the head × key-category attention-mass matrix per query kind with each head's type.
 */
import * as Plot from '@observablehq/plot';
import type { HeadTypesResult } from '../scans/headTypes.ts';
import type { KurtosisResult, NormsResult } from '../scans/cacheStats.ts';
import { heatmapFigure } from './charts.ts';
import { labelledLines, labelledLinesFit } from './scanFigures.ts';
import { type Cell, type FigureSpec, col, hover } from './figure.ts';

/** Mean norm per position with a ±1 std band, one line per state (or component). */
export function normsFigure(r: NormsResult, which: 'states' | 'components' = 'states'): FigureSpec {
  const s = r[which];
  const columns = [
    'position',
    which === 'states' ? 'residual state' : 'component',
    'mean L2 norm',
    'std',
    'tokens',
  ];
  const rows: Cell[][] = [];
  s.labels.forEach((label, i) =>
    r.tokenLabels.forEach((tok, p) => {
      if (s.count[p] > 0) rows.push([tok, label, s.mean[i][p], s.std[i][p], s.count[p]]);
    }),
  );
  const title = `L2 norm of the ${which === 'states' ? 'residual stream' : 'component outputs'} over ${r.windows} windows (mean ± std)`;
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      ...labelledLinesFit(rows, 380),
      width: Math.max(420, 20 + r.tokenLabels.length * 26) + labelledLinesFit(rows, 380).marginRight,
      marginTop: 40,
      marginLeft: 70,
      x: { type: 'point', domain: r.tokenLabels, label: 'token position' },
      y: { label: 'L2 norm', grid: true, labelAnchor: 'center' },
      marks: [
        Plot.areaY(rows, {
          x: col(0),
          y1: (d: Cell[]) => (d[2] as number) - (d[3] as number),
          y2: (d: Cell[]) => (d[2] as number) + (d[3] as number),
          z: col(1),
          fill: col(1),
          fillOpacity: 0.15,
        }),
        ...labelledLines(rows, columns, interactive, 2),
      ],
    }),
  };
}

/** Excess kurtosis per hook point: standard basis (dot) vs the random rotations (range and mean). */
export function kurtosisFigure(r: KurtosisResult): FigureSpec {
  const columns = ['hook', 'basis', 'excess kurtosis', 'privileged'];
  const rows: Cell[][] = [];
  for (const h of r.hooks) {
    rows.push([h.hook, 'standard', h.excess, h.privileged ? 'yes' : 'no']);
    h.rotated.values.forEach((v) => rows.push([h.hook, 'rotated', v, h.privileged ? 'yes' : 'no']));
  }
  const hooks = r.hooks.map((h) => h.hook);
  const title = `excess kurtosis of activations: standard basis vs ${r.rotations} random rotations`;
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      width: Math.max(480, 140 + hooks.length * 40),
      height: 420,
      marginTop: 40,
      marginLeft: 70,
      marginBottom: 150,
      x: { domain: hooks, label: 'hook point', tickRotate: -60 },
      y: { label: 'excess kurtosis (Gaussian = 0)', grid: true, labelAnchor: 'center' },
      color: { domain: ['standard', 'rotated'], range: ['#d62728', '#7f7f7f'], legend: false },
      marks: [
        Plot.ruleY([0]),
        Plot.dot(rows, {
          x: col(0),
          y: col(2),
          fill: col(1),
          r: (d: Cell[]) => (d[1] === 'standard' ? 5 : 2.5),
          ...hover(columns, interactive),
        }),
      ],
    }),
  };
}

/** Mean attention mass per head (rows) and key category (columns), one panel per query kind. */
export function headTypesFigure(r: HeadTypesResult): FigureSpec {
  const rows: Cell[][] = [];
  const headLabel = r.heads.map((h, i) => `${h} (${r.types[i]})`);
  r.heads.forEach((_, h) =>
    r.queryKinds.forEach((kind, k) =>
      r.categories.forEach((cat, c) =>
        rows.push([headLabel[h], `${kind} queries`, cat, r.mass[h][k][c], r.std[h][k][c]]),
      ),
    ),
  );
  return heatmapFigure({
    title: `head types: attention mass by query kind and key category (type at mass >= ${r.threshold})`,
    columns: ['head', 'query kind', 'key category', 'mean attention mass', 'std'],
    rows,
    x: { column: 2, domain: r.categories, label: 'key category' },
    y: { column: 0, domain: headLabel, label: 'head' },
    fx: { column: 1, domain: r.queryKinds.map((k) => `${k} queries`), label: 'query kind' },
    value: 3,
    cellSize: 30,
  });
}
