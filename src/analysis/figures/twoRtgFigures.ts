/**
 * Figures of one window at two target RTGs (`features/twoRtgs.ts`): how much each head's attention from
 * one query moves, the attention difference of one head, and the high − low change of the logit lens
 * and of the logit-difference attributions.
 */
import type { TwoRtgAttention, TwoRtgAttributions, TwoRtgLogitLens } from '../features/twoRtgs.ts';
import { barFigure, heatmapFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';

/** Per head: Σ over keys of |high − low| attention from query `query`. */
export function attentionChangeByHead(r: TwoRtgAttention, query: number): number[] {
  const P = r.tokenLabels.length;
  return r.heads.map((_, i) => {
    let s = 0;
    for (let k = 0; k < P; k++) s += Math.abs(r.difference.data[(i * P + query) * P + k]);
    return s;
  });
}

export function attentionChangeFigure(r: TwoRtgAttention, query: number): FigureSpec {
  return barFigure({
    title: `Attention of ${r.tokenLabels[query]}: RTG ${r.rtgs[1]} vs RTG ${r.rtgs[0]}`,
    labels: r.heads,
    values: attentionChangeByHead(r, query),
    labelName: 'head',
    valueName: 'total |change| of attention',
  });
}

/** One head's attention pattern difference (high − low), query × key. */
export function attentionDifferenceFigure(r: TwoRtgAttention, head: number): FigureSpec {
  const P = r.tokenLabels.length;
  const rows: Cell[][] = [];
  for (let q = 0; q < P; q++)
    for (let k = 0; k <= q; k++)
      rows.push([r.tokenLabels[q], r.tokenLabels[k], r.difference.data[(head * P + q) * P + k]]);
  return heatmapFigure({
    title: `${r.heads[head]} attention: RTG ${r.rtgs[1]} − RTG ${r.rtgs[0]}`,
    columns: ['query', 'key', 'change of attention'],
    rows,
    x: { column: 1, domain: r.tokenLabels, label: 'key' },
    y: { column: 0, domain: r.tokenLabels, label: 'query' },
    value: 2,
  });
}

export function logitLensChangeFigure(r: TwoRtgLogitLens): FigureSpec {
  return barFigure({
    title: `${r.direction} by layer: RTG ${r.rtgs[1]} − RTG ${r.rtgs[0]}`,
    labels: r.layers,
    values: r.difference,
    labelName: 'layer',
    valueName: 'change in logit difference',
  });
}

export function attributionChangeFigure(r: TwoRtgAttributions): FigureSpec {
  return barFigure({
    title: `${r.direction}: RTG ${r.rtgs[1]} − RTG ${r.rtgs[0]}`,
    labels: r.labels,
    values: r.difference,
    labelName: 'component',
    valueName: 'change in attribution',
  });
}
