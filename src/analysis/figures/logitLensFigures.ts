/**
 * Logit lens and logit-attribution figures: the logit difference of each accumulated residual state
 * (line), the action logits of each state (heatmap), contributions per component (bars) and per head
 * (layer × head heatmap).
 */
import { check } from '../../errors.ts';
import type { DecompositionResult } from '../dynamic/decomposition.ts';
import type { LogitLensResult } from '../dynamic/logitLens.ts';
import { barFigure, heatmapFigure, lineFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';

const diffName = (label: string) => `logit difference (${label})`;

/** Logit difference of each accumulated residual state at the chosen position. */
export function logitLensFigure(r: LogitLensResult): FigureSpec {
  return lineFigure({
    title: `logit lens at ${r.tokenLabels[r.position]}: ${r.direction.label}`,
    columns: ['residual state', diffName(r.direction.label)],
    rows: r.layers.map((l, i) => [l, r.logitDiff[i]]),
    x: { column: 0, domain: r.layers, label: 'residual stream state' },
    y: 1,
  });
}

/** Action logits (bias included) of each accumulated state at the chosen position. */
export function logitLensActionsFigure(r: LogitLensResult): FigureSpec {
  const [, P, A] = r.actionLogits.shape;
  const rows: Cell[][] = [];
  r.layers.forEach((layer, i) => {
    for (let a = 0; a < A; a++)
      rows.push([layer, r.actionNames[a], r.actionLogits.data[(i * P + r.position) * A + a]]);
  });
  return heatmapFigure({
    title: `logit lens at ${r.tokenLabels[r.position]}: action logits`,
    columns: ['residual state', 'action', 'logit'],
    rows,
    x: { column: 1, domain: r.actionNames, label: 'action' },
    y: { column: 0, domain: r.layers, label: 'residual stream state' },
    value: 2,
    cellSize: 36,
  });
}

export type AttributionLevel = 'layers' | 'components' | 'neurons' | 'dti';

const LEVEL_TITLES: Record<AttributionLevel, string> = {
  layers: 'contribution of each layer',
  components: 'contribution of each component',
  neurons: 'contribution of each head and neuron',
  dti: "DTI's residual decomposition (no LN scaling)",
};

/** Bars of one attribution level. */
export function attributionFigure(r: DecompositionResult, level: AttributionLevel): FigureSpec {
  const a = r[level];
  check(a, 'BAD_INPUT', `the decomposition was computed without ${level}`);
  return barFigure({
    title: `${LEVEL_TITLES[level]} at ${r.tokenLabel}: ${r.direction.label}`,
    labels: a.labels,
    values: a.values,
    labelName: 'component',
    valueName: diffName(r.direction.label),
  });
}

/** Per-head contributions as a layer × head heatmap. */
export function headAttributionFigure(r: DecompositionResult): FigureSpec {
  const L = r.heads.grid.length;
  const H = L > 0 ? r.heads.grid[0].length : 0;
  const rows: Cell[][] = [];
  r.heads.grid.forEach((row, l) => row.forEach((v, h) => rows.push([`L${l}`, `H${h}`, v])));
  return heatmapFigure({
    title: `contribution of each head at ${r.tokenLabel}: ${r.direction.label}`,
    columns: ['layer', 'head', diffName(r.direction.label)],
    rows,
    x: { column: 1, domain: Array.from({ length: H }, (_, h) => `H${h}`), label: 'head' },
    y: { column: 0, domain: Array.from({ length: L }, (_, l) => `L${l}`), label: 'layer' },
    value: 2,
    cellSize: 48,
  });
}
