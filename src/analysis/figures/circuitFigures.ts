/**
 * Circuit, SVD and congruence figures: full OV/QK circuits as strips (coloured by head), one head as a
 * heatmap, two output columns against each other (action-vs-action), state gridmaps; singular value
 * spectra per head; SVD read-outs; congruence strips coloured by the writer's group.
 */
import { check } from '../../errors.ts';
import type { CircuitResult } from '../static/circuits.ts';
import type { CongruenceResult, HeadInputCongruence } from '../static/congruence.ts';
import type { HeadSvd, SvdReadout } from '../static/svd.ts';
import { heatmapFigure, lineFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';
import { gridmapFigure } from './gridmap.ts';
import { scatterFigure, stripFigure } from './strip.ts';

const headIndex = (c: { heads: string[] }, head: string): number => {
  const i = c.heads.indexOf(head);
  check(i >= 0, 'BAD_INPUT', `head ${head} does not exist (heads: ${c.heads.join(', ')})`);
  return i;
};

const colIndex = (c: CircuitResult, label: string): number => {
  const i = c.colLabels.indexOf(label);
  check(
    i >= 0,
    'BAD_INPUT',
    `"${label}" is not a ${c.colName} label (${c.colLabels.slice(0, 8).join(', ')}${c.colLabels.length > 8 ? ', ...' : ''})`,
  );
  return i;
};

const circuitTitle = (c: CircuitResult, kind: 'OV' | 'QK') =>
  kind === 'OV'
    ? `full OV circuit: ${c.rowName} → ${c.colName}`
    : `full QK circuit: query ${c.rowName}, key ${c.colName}`;

/** Every value (optionally only some heads / columns) as a strip coloured by head. */
/** The rows with a label containing `search` (case-insensitive); none matching is a typed error. */
function searched(rows: Cell[][], search = ''): Cell[][] {
  const q = search.trim().toLowerCase();
  if (!q) return rows;
  const kept = rows.filter((r) => r.some((c) => typeof c === 'string' && c.toLowerCase().includes(q)));
  check(kept.length > 0, 'BAD_INPUT', `no label contains '${search.trim()}'`);
  return kept;
}

export function circuitStripFigure(
  c: CircuitResult,
  kind: 'OV' | 'QK',
  options: { heads?: string[]; cols?: string[]; search?: string } = {},
): FigureSpec {
  const [, , n, k] = c.values.shape;
  const heads = (options.heads ?? c.heads).map((h) => headIndex(c, h));
  const cols = (options.cols ?? c.colLabels).map((l) => colIndex(c, l));
  const rows: Cell[][] = [];
  for (const h of heads)
    for (let i = 0; i < n; i++)
      for (const j of cols)
        rows.push([c.heads[h], c.rowLabels[i], c.colLabels[j], c.values.data[(h * n + i) * k + j]]);
  return stripFigure({
    title: circuitTitle(c, kind),
    columns: ['head', c.rowName, c.colName, 'score'],
    rows: searched(rows, options.search),
    value: 3,
    group: 0,
  });
}

/** One head's circuit as a heatmap (rows × columns). */
export function circuitHeatmapFigure(c: CircuitResult, kind: 'OV' | 'QK', head: string): FigureSpec {
  const h = headIndex(c, head);
  const [, , n, k] = c.values.shape;
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++)
      rows.push([c.rowLabels[i], c.colLabels[j], c.values.data[(h * n + i) * k + j]]);
  return heatmapFigure({
    title: `${circuitTitle(c, kind)}, ${head}`,
    columns: [c.rowName, c.colName, 'score'],
    rows,
    x: { column: 1, domain: c.colLabels, label: c.colName },
    y: { column: 0, domain: c.rowLabels, label: c.rowName },
    value: 2,
    cellSize: n * k > 4000 ? 6 : 22,
  });
}

/** Two output columns (e.g. two actions) against each other, one dot per (head, row). */
export function circuitComparisonFigure(
  c: CircuitResult,
  colA: string,
  colB: string,
  heads?: string[],
): FigureSpec {
  const a = colIndex(c, colA);
  const b = colIndex(c, colB);
  const [, , n, k] = c.values.shape;
  const rows: Cell[][] = [];
  for (const h of (heads ?? c.heads).map((x) => headIndex(c, x)))
    for (let i = 0; i < n; i++)
      rows.push([
        c.heads[h],
        c.rowLabels[i],
        c.values.data[(h * n + i) * k + a],
        c.values.data[(h * n + i) * k + b],
      ]);
  return scatterFigure({
    title: `${c.rowName}: ${colA} vs ${colB}`,
    columns: ['head', c.rowName, colA, colB],
    rows,
    x: 2,
    y: 3,
    group: 0,
  });
}

/** One head and one output column over the state vocabulary, as 7×7 gridmaps per channel. */
export function circuitGridmapFigure(
  c: CircuitResult,
  kind: 'OV' | 'QK',
  head: string,
  col: string,
  channels?: string[],
): FigureSpec {
  const h = headIndex(c, head);
  const j = colIndex(c, col);
  const [, , n, k] = c.values.shape;
  const values = Float32Array.from({ length: n }, (_, i) => c.values.data[(h * n + i) * k + j]);
  return gridmapFigure(`${kind} ${head}: ${c.rowName} → ${col}`, c.rowLabels, values, 'score', channels);
}

/** Singular values per head (line per head). */
export function singularValuesFigure(svd: HeadSvd): FigureSpec {
  const [L, H, k] = svd.S.shape;
  const rows: Cell[][] = [];
  for (let i = 0; i < L * H; i++)
    for (let c = 0; c < k; c++) rows.push([svd.heads[i], String(c), svd.S.data[i * k + c]]);
  return lineFigure({
    title: `${svd.circuit} singular values per head`,
    columns: ['head', 'index', 'singular value'],
    rows,
    x: { column: 1, domain: Array.from({ length: k }, (_, c) => String(c)), label: 'singular direction' },
    y: 2,
    series: 0,
  });
}

/** One head's top-k directions against a vocabulary (directions × vocabulary heatmap). */
export function svdReadoutFigure(r: SvdReadout, head: string): FigureSpec {
  const h = headIndex(r, head);
  const [, , k, n] = r.values.shape;
  const rows: Cell[][] = [];
  for (let c = 0; c < k; c++)
    for (let i = 0; i < n; i++) rows.push([r.directions[c], r.labels[i], r.values.data[(h * k + c) * n + i]]);
  const side =
    r.side === 'in' ? (r.circuit === 'OV' ? 'input' : 'query') : r.circuit === 'OV' ? 'output' : 'key';
  return heatmapFigure({
    title: `${head} ${r.circuit} ${side} singular directions · ${r.vocabulary}`,
    columns: ['direction', r.vocabulary, 'projection'],
    rows,
    x: { column: 1, domain: r.labels, label: r.vocabulary },
    y: { column: 0, domain: r.directions, label: 'direction' },
    value: 2,
    cellSize: n > 100 ? 4 : 20,
  });
}

/** Every congruence value as a strip coloured by the writer's group (channel) or by the reader. */
export function congruenceStripFigure(c: CongruenceResult, search?: string): FigureSpec {
  const [nw, nr] = c.values.shape;
  const rows: Cell[][] = [];
  for (let i = 0; i < nw; i++)
    for (let j = 0; j < nr; j++)
      rows.push([
        c.writerGroups?.[i] ?? c.readerLabels[j],
        c.writerLabels[i],
        c.readerLabels[j],
        c.values.data[i * nr + j],
      ]);
  return stripFigure({
    title: `congruence: ${c.writer} · ${c.reader}`,
    columns: ['group', c.writer, c.reader, 'congruence'],
    rows: searched(rows, search),
    value: 3,
    group: 0,
  });
}

/** Congruence as a heatmap (writers × readers). */
export function congruenceHeatmapFigure(c: CongruenceResult): FigureSpec {
  const [nw, nr] = c.values.shape;
  const rows: Cell[][] = [];
  for (let i = 0; i < nw; i++)
    for (let j = 0; j < nr; j++) rows.push([c.writerLabels[i], c.readerLabels[j], c.values.data[i * nr + j]]);
  return heatmapFigure({
    title: `congruence: ${c.writer} · ${c.reader}`,
    columns: [c.writer, c.reader, 'congruence'],
    rows,
    x: { column: 1, domain: c.readerLabels, label: c.reader },
    y: { column: 0, domain: c.writerLabels, label: c.writer },
    value: 2,
    cellSize: nw * nr > 4000 ? 6 : 18,
  });
}

/** ‖v · W_X‖ per head input (rows: head and Q/K/V, columns: vocabulary). */
export function headInputFigure(r: HeadInputCongruence): FigureSpec {
  const [L, H, , n] = r.values.shape;
  const rows: Cell[][] = [];
  const rowNames: string[] = [];
  for (let i = 0; i < L * H; i++)
    r.inputs.forEach((x, xi) => {
      const name = `${r.heads[i]} ${x.slice(2)}`;
      rowNames.push(name);
      for (let j = 0; j < n; j++) rows.push([name, r.labels[j], r.values.data[(i * 3 + xi) * n + j]]);
    });
  return heatmapFigure({
    title: `how much each head input reads the ${r.vocabulary} embeddings (‖e · W_X‖)`,
    columns: ['head input', r.vocabulary, 'norm'],
    rows,
    x: { column: 1, domain: r.labels, label: r.vocabulary },
    y: { column: 0, domain: rowNames, label: 'head input' },
    value: 2,
    cellSize: n > 60 ? 5 : 16,
  });
}
