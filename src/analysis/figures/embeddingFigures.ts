/**
 * Embedding, parameter and neuron figures: similarity heatmaps in cluster order, PCA scatter, scree,
 * per-PC bars (top and bottom) and gridmaps, vector norms, and DTI's parameter distribution bars.
 */
import * as Plot from '@observablehq/plot';
import { check } from '../../errors.ts';
import type { PcaResult, SimilarityResult } from '../static/embeddings.ts';
import type { ParameterStats } from '../static/parameters.ts';
import { DTI_STD_REFERENCE } from '../static/parameters.ts';
import { barFigure, heatmapFigure } from './charts.ts';
import { type Cell, type FigureSpec, hover } from './figure.ts';
import { gridmapFigure } from './gridmap.ts';
import { scatterFigure } from './strip.ts';

/** Similarity map with rows and columns in the result's (cluster) order. */
export function similarityFigure(s: SimilarityResult, title: string): FigureSpec {
  const n = s.labels.length;
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) rows.push([s.labels[i], s.labels[j], s.values.data[i * n + j]]);
  const domain = s.order.map((i) => s.labels[i]);
  return heatmapFigure({
    title,
    columns: ['row', 'column', s.kind === 'cosine' ? 'cosine similarity' : 'dot product'],
    rows,
    x: { column: 1, domain, label: '' },
    y: { column: 0, domain, label: '' },
    value: 2,
    cellSize: n > 60 ? 5 : 20,
  });
}

const pcName = (p: PcaResult, c: number) => `PC${c + 1} (${(100 * p.explainedVarianceRatio[c]).toFixed(1)}%)`;

const checkPc = (p: PcaResult, c: number) =>
  check(
    Number.isInteger(c) && c >= 0 && c < p.explainedVarianceRatio.length,
    'BAD_INPUT',
    `PC index ${c} is outside 0..${p.explainedVarianceRatio.length - 1}`,
  );

/** The selected vectors on two principal components. */
export function pcaScatterFigure(p: PcaResult, x = 0, y = 1): FigureSpec {
  checkPc(p, x);
  checkPc(p, y);
  const k = p.projections.shape[1];
  const rows: Cell[][] = p.selection.map((label) => {
    const i = p.labels.indexOf(label);
    return [label, p.projections.data[i * k + x], p.projections.data[i * k + y]];
  });
  return scatterFigure({
    title: 'PCA of the selected embeddings',
    columns: ['embedding', pcName(p, x), pcName(p, y)],
    rows,
    x: 1,
    y: 2,
    group: 0,
  });
}

/** Explained variance (%) per component. */
export const screeFigure = (p: PcaResult): FigureSpec =>
  barFigure({
    title: 'scree: explained variance per principal component',
    labels: p.explainedVarianceRatio.map((_, c) => `PC${c + 1}`),
    values: p.explainedVarianceRatio.map((r) => 100 * r),
    labelName: 'component',
    valueName: 'explained variance (%)',
  });

/** Every vector's projection on one PC: the top and bottom `top` (or all with top = 0). */
export function pcBarFigure(p: PcaResult, pc = 0, top = 10): FigureSpec {
  checkPc(p, pc);
  const k = p.projections.shape[1];
  const order = p.labels
    .map((_, i) => i)
    .sort((a, b) => p.projections.data[b * k + pc] - p.projections.data[a * k + pc]);
  const shown = top > 0 && order.length > 2 * top ? [...order.slice(0, top), ...order.slice(-top)] : order;
  return barFigure({
    title: `projection on ${pcName(p, pc)}`,
    labels: shown.map((i) => p.labels[i]),
    values: shown.map((i) => p.projections.data[i * k + pc]),
    labelName: 'embedding',
    valueName: 'projection',
  });
}

/** One PC's projections of the state features as gridmaps per channel. */
export function pcGridmapFigure(p: PcaResult, pc = 0, channels?: string[]): FigureSpec {
  checkPc(p, pc);
  const k = p.projections.shape[1];
  const values = Float32Array.from(p.labels, (_, i) => p.projections.data[i * k + pc]);
  return gridmapFigure(`projection on ${pcName(p, pc)}`, p.labels, values, 'projection', channels);
}

/** L2 norm per vector. */
export const normsFigure = (title: string, labels: string[], norms: number[]): FigureSpec =>
  barFigure({ title, labels, values: norms, labelName: 'vector', valueName: 'L2 norm' });

export type ParameterMetric = 'mean' | 'negLogStd' | 'norm';

const METRIC_NAMES: Record<ParameterMetric, string> = { mean: 'mean', negLogStd: '−log std', norm: 'norm' };
const KIND_COLORS: Record<ParameterStats['kind'], string> = {
  weight: 'red',
  bias: 'blue',
  embedding: 'purple',
  other: 'green',
};

/** One bar per parameter, coloured as DTI (weights red, biases blue, embeddings purple); −log std has the −log 0.02 line. */
export function parameterFigure(stats: ParameterStats[], metric: ParameterMetric): FigureSpec {
  const columns = ['parameter', 'kind', METRIC_NAMES[metric]];
  const rows: Cell[][] = stats.map((s) => [s.name, s.kind, s[metric]]);
  return {
    title: `parameter ${METRIC_NAMES[metric]}`,
    table: { columns, rows },
    options: (interactive) => ({
      width: Math.max(480, 120 + rows.length * 18),
      height: 420,
      marginTop: 40,
      marginLeft: 60,
      marginBottom: 220,
      x: { domain: stats.map((s) => s.name), tickRotate: -70, label: null },
      y: { label: METRIC_NAMES[metric], grid: true },
      marks: [
        Plot.barY(rows, {
          x: (r: Cell[]) => r[0],
          y: (r: Cell[]) => r[2],
          fill: (r: Cell[]) => KIND_COLORS[r[1] as ParameterStats['kind']],
          ...hover(columns, interactive),
        }),
        Plot.ruleY([0]),
        ...(metric === 'negLogStd'
          ? [Plot.ruleY([DTI_STD_REFERENCE], { stroke: 'red', strokeDasharray: '6,4' })]
          : []),
      ],
    }),
  };
}
