/**
 * Activation-patching figures: each sweep as a diverging heatmap of the normalised score with token
 * labels and layer/head axes (facets for the stacked sweeps), neuron sweeps as bars. Every cell's hover
 * shows the score and the raw metric of the patched, clean and corrupted runs.
 */
import type { PatchingResult } from '../causal/patching.ts';
import { type Axis, barFigure, heatmapFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';

const MODE_NOTE = {
  noise: 'noise: clean run, corrupted activations patched in (1 = fully corrupted)',
  denoise: 'denoise: corrupted run, clean activations patched in (1 = fully restored)',
};

/** Title of a patching result. */
export function patchingTitle(r: PatchingResult, name?: string): string {
  const sweep = name ?? `${r.sweep.kind}${r.sweep.layer === undefined ? '' : ` L${r.sweep.layer}`}`;
  return `${sweep}: ${MODE_NOTE[r.mode]}; ${r.metric} clean ${r.clean.toFixed(3)}, corrupted ${r.corrupted.toFixed(3)}`;
}

export function patchingFigure(r: PatchingResult, name?: string): FigureSpec {
  const title = patchingTitle(r, name);
  const names = r.axes.map((a) => a.name);
  const n = r.score.length;
  // Rows: one per patched run, its axis labels then score and raw values.
  const strides = r.shape.map((_, a) => r.shape.slice(a + 1).reduce((p, s) => p * s, 1));
  const labelsOf = (i: number) => r.axes.map((a, k) => a.labels[Math.floor(i / strides[k]) % r.shape[k]]);
  const has = (axis: string) => names.includes(axis);
  if (names.length === 1) {
    return barFigure({
      title,
      labels: r.axes[0].labels,
      values: Array.from(r.score),
      labelName: r.axes[0].name,
      valueName: 'score',
    });
  }
  const valueColumns = ['score', `patched ${r.metric}`, 'clean', 'corrupted'];
  // Layer x head by position sweeps: rows are heads `L{l}H{h}`.
  const headRows = has('head') && has('position');
  const columns = [...names, ...(headRows ? ['layer.head'] : []), ...valueColumns];
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const labels = labelsOf(i);
    const lh = headRows ? [`L${labels[names.indexOf('layer')]}H${labels[names.indexOf('head')]}`] : [];
    rows.push([...labels, ...lh, r.score[i], r.patched[i], r.clean, r.corrupted]);
  }
  const value = columns.indexOf('score');
  const axis = (name: string, label = name): Axis => ({
    column: columns.indexOf(name),
    domain: r.axes[names.indexOf(name)].labels,
    label,
  });
  const facetY = has('component') ? axis('component') : has('activation') ? axis('activation') : undefined;
  if (has('destination'))
    return heatmapFigure({
      title,
      columns,
      rows,
      x: axis('source', 'source token (key)'),
      y: axis('destination', 'destination token (query)'),
      fx: axis('head'),
      fy: axis('layer'),
      value,
      cellSize: 8,
    });
  if (headRows) {
    const heads = r.axes[names.indexOf('layer')].labels.flatMap((l) =>
      r.axes[names.indexOf('head')].labels.map((h) => `L${l}H${h}`),
    );
    return heatmapFigure({
      title,
      columns,
      rows,
      x: axis('position', 'token'),
      y: { column: columns.indexOf('layer.head'), domain: heads, label: 'head' },
      fy: facetY,
      value,
    });
  }
  if (has('position') && has('neuron'))
    return heatmapFigure({
      title,
      columns,
      rows,
      x: axis('neuron'),
      y: axis('position', 'token'),
      value,
      cellSize: 6,
    });
  if (has('position'))
    return heatmapFigure({
      title,
      columns,
      rows,
      x: axis('position', 'token'),
      y: axis('layer'),
      fy: facetY,
      value,
    });
  return heatmapFigure({
    title,
    columns,
    rows,
    x: axis('head'),
    y: axis('layer'),
    fx: facetY,
    value,
    cellSize: 24,
  });
}
