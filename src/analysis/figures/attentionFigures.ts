/**
 * Attention figures: one head's pattern (or scores) as a query × key heatmap with token labels on both
 * axes, and the CircuitsVis-style grid of every head (layers × heads thumbnails). Entries above the
 * diagonal (keys after the query) are masked and not drawn.
 */
import { check } from '../../errors.ts';
import type { AttentionResult } from '../dynamic/attention.ts';
import { resolveIndex } from '../dynamic/run.ts';
import { heatmapFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';

const valueName = (r: AttentionResult): string =>
  r.values === 'scores'
    ? 'score'
    : r.valueWeighting === 'none'
      ? 'attention'
      : `attention × ‖v_${r.valueWeighting === 'key' ? 'key' : 'query'}‖`;

const WEIGHTING_NOTE: Record<AttentionResult['valueWeighting'], string> = {
  none: '',
  key: ', weighted by the key value norm',
  'dti-compat': ", weighted by the query value norm (DTI's quirk)",
};

/** One head's [query, key] matrix. */
export function attentionFigure(r: AttentionResult, sel: { layer: number; head: number }): FigureSpec {
  const [L, H, P] = r.data.shape;
  const l = resolveIndex(sel.layer, L, 'layer');
  const h = resolveIndex(sel.head, H, 'head');
  const tok = r.tokenLabels;
  const rows: Cell[][] = [];
  const base = (l * H + h) * P * P;
  for (let q = 0; q < P; q++)
    for (let k = 0; k <= q; k++) rows.push([tok[q], tok[k], r.data.data[base + q * P + k]]);
  return heatmapFigure({
    title: `L${l}H${h} ${r.values === 'scores' ? 'attention scores' : 'attention pattern'}${WEIGHTING_NOTE[r.valueWeighting]}`,
    columns: ['destination (query)', 'source (key)', valueName(r)],
    rows,
    x: { column: 1, domain: tok, label: 'source token (key)' },
    y: { column: 0, domain: tok, label: 'destination token (query)' },
    value: 2,
  });
}

/** Every head as a small multiple: columns = heads, rows = layers. */
export function attentionHeadGridFigure(r: AttentionResult): FigureSpec {
  const [L, H, P] = r.data.shape;
  check(L > 0 && H > 0, 'BAD_INPUT', 'the attention result has no heads');
  const tok = r.tokenLabels;
  const rows: Cell[][] = [];
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++) {
      const base = (l * H + h) * P * P;
      for (let q = 0; q < P; q++)
        for (let k = 0; k <= q; k++)
          rows.push([`L${l}`, `H${h}`, tok[q], tok[k], r.data.data[base + q * P + k]]);
    }
  return heatmapFigure({
    title: `attention ${r.values === 'scores' ? 'scores' : 'patterns'} of every head`,
    columns: ['layer', 'head', 'destination (query)', 'source (key)', valueName(r)],
    rows,
    x: { column: 3, domain: tok, label: 'source' },
    y: { column: 2, domain: tok, label: 'destination' },
    fx: { column: 1, domain: Array.from({ length: H }, (_, h) => `H${h}`), label: 'head' },
    fy: { column: 0, domain: Array.from({ length: L }, (_, l) => `L${l}`), label: 'layer' },
    value: 4,
    cellSize: 4,
    thumbnails: true,
  });
}
