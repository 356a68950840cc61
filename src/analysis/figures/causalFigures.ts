/**
 * Figures of the causal analyses besides patching: counterfactual attention (diverging heatmaps of the
 * pattern change per head, token labels on both axes) and ablation (before/after bars of the action
 * probabilities and of the logit-difference attribution per component).
 */
import * as Plot from '@observablehq/plot';
import { actionName } from '../dynamic/logitDirection.ts';
import type { AblationResult } from '../causal/ablation.ts';
import type { CounterfactualAttentionResult } from '../causal/counterfactualAttention.ts';
import { resolveIndex } from '../dynamic/run.ts';
import { heatmapFigure } from './charts.ts';
import { type Cell, type FigureSpec, col, hover, titleMark } from './figure.ts';

/** One head's change in attention (dest × src), or every head as small multiples. */
export function counterfactualAttentionFigure(
  r: CounterfactualAttentionResult,
  sel?: { layer: number; head: number },
): FigureSpec {
  const [L, H, P] = r.diff.shape;
  const tok = r.tokenLabels;
  const rows: Cell[][] = [];
  const heads = sel
    ? [[resolveIndex(sel.layer, L, 'layer'), resolveIndex(sel.head, H, 'head')]]
    : Array.from({ length: L * H }, (_, i) => [Math.floor(i / H), i % H]);
  for (const [l, h] of heads) {
    const base = (l * H + h) * P * P;
    for (let q = 0; q < P; q++)
      for (let k = 0; k <= q; k++) {
        const o = base + q * P + k;
        rows.push([
          `L${l}`,
          `H${h}`,
          tok[q],
          tok[k],
          r.diff.data[o],
          r.clean.data[o],
          r.counterfactual.data[o],
        ]);
      }
  }
  const one = sel !== undefined;
  return heatmapFigure({
    title: `attention change (${r.label})${one ? ` of L${heads[0][0]}H${heads[0][1]}` : ''}`,
    columns: ['layer', 'head', 'destination (query)', 'source (key)', r.label, 'clean', 'counterfactual'],
    rows,
    x: { column: 3, domain: tok, label: 'source token (key)' },
    y: { column: 2, domain: tok, label: 'destination token (query)' },
    ...(!one && {
      fx: { column: 1, domain: Array.from({ length: H }, (_, h) => `H${h}`), label: 'head' },
      fy: { column: 0, domain: Array.from({ length: L }, (_, l) => `L${l}`), label: 'layer' },
    }),
    value: 4,
    cellSize: one ? 16 : 5,
    thumbnails: !one,
  });
}

/** Grouped before/after bars over labelled items. */
function beforeAfterFigure(
  title: string,
  labels: string[],
  before: number[],
  after: number[],
  valueName: string,
): FigureSpec {
  const columns = ['item', 'run', valueName];
  const rows: Cell[][] = labels.flatMap((l, i) => [
    [l, 'before', before[i]],
    [l, 'after', after[i]],
  ]);
  return {
    title,
    table: { columns, rows },
    options: (interactive) => ({
      width: Math.max(420, Math.min(1600, 140 + labels.length * 40)),
      height: 380,
      marginTop: 40,
      marginLeft: 70,
      marginBottom: 110,
      fx: { domain: labels, label: null, tickRotate: -60, padding: 0.15 },
      x: { domain: ['before', 'after'], axis: null },
      y: { label: valueName, grid: true, labelAnchor: 'center' },
      color: { domain: ['before', 'after'], range: ['#9e9e9e', '#d6604d'], legend: false },
      marks: [
        Plot.barY(rows, { fx: col(0), x: col(1), y: col(2), fill: col(1), ...hover(columns, interactive) }),
        Plot.ruleY([0]),
        titleMark(title),
      ],
    }),
  };
}

/** Action probabilities at the last S token before and after the ablation. */
export function ablationPredictionFigure(r: AblationResult): FigureSpec {
  const labels = r.before.map((_, a) => actionName(a));
  return beforeAfterFigure(
    `ablation: action probabilities (logit difference ${r.logitDiffBefore.toFixed(3)} -> ${r.logitDiffAfter.toFixed(3)})`,
    labels,
    r.before,
    r.after,
    'probability',
  );
}

/** Logit-difference attribution per component (heads, MLPs, embeddings, bias) before and after. */
export function ablationAttributionFigure(r: AblationResult): FigureSpec {
  const b = r.decompositionBefore.components;
  const a = r.decompositionAfter.components;
  return beforeAfterFigure(
    `ablation: attribution to ${r.decompositionBefore.direction.label} per component`,
    b.labels,
    b.values,
    a.values,
    'logit difference',
  );
}
