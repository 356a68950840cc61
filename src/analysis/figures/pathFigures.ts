/** Path-patching results -> figures: a heatmap of `1 − m` (what DTI plots) over the sender grid. */
import { tokenLabels } from '../../model/tokens.ts';
import type { PathGrid } from '../causal/pathViews.ts';
import { barFigure, heatmapFigure } from './charts.ts';
import type { FigureSpec } from './figure.ts';

const range = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

/** [L, H] -> layer × head heatmap; [3, L, P] -> one facet per block kind; anything else -> bars. */
export function pathGridFigure(g: PathGrid): FigureSpec {
  const title = `Path patching -> ${g.receivers.join(', ')} (1 − m, DTI's plot)`;
  if (g.shape.length === 2) {
    const [L, H] = g.shape;
    return heatmapFigure({
      title,
      columns: ['layer', 'head', '1 − m', 'sender'],
      rows: Array.from(g.plotted, (v, i) => [String(Math.floor(i / H)), String(i % H), v, g.senders[i]]),
      x: { column: 1, domain: range(H), label: 'head' },
      y: { column: 0, domain: range(L), label: 'layer' },
      value: 2,
    });
  }
  if (g.shape.length === 3 && g.shape[0] === 3) {
    const [, L, P] = g.shape;
    const kinds = ['resid_pre', 'attn_out', 'mlp_out'];
    const labels = tokenLabels(P);
    return heatmapFigure({
      title,
      columns: ['block', 'layer', 'token', '1 − m'],
      rows: Array.from(g.plotted, (v, i) => [
        kinds[Math.floor(i / (L * P))],
        String(Math.floor(i / P) % L),
        labels[i % P],
        v,
      ]),
      x: { column: 2, domain: labels, label: 'token' },
      y: { column: 1, domain: range(L), label: 'layer' },
      fy: { column: 0, domain: kinds, label: 'block' },
      value: 3,
    });
  }
  return barFigure({
    title,
    labels: g.senders,
    values: Array.from(g.plotted),
    labelName: 'sender',
    valueName: '1 − m',
  });
}
