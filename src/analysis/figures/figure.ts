/**
 * The figure layer: a `FigureSpec` is an Observable Plot description of an analysis result plus the
 * long-format table behind it. It renders in a browser (real DOM) or in Node (linkedom, see
 * `src/node/figures.ts`) and exports to SVG, CSV and JSON. Interactive renders show pointer tips;
 * static renders (exports) give every mark an SVG `<title>` so values still show on hover.
 */
import * as Plot from '@observablehq/plot';

export type Cell = string | number;

/** Long-format data: one row per plotted element. */
export interface DataTable {
  columns: string[];
  rows: Cell[][];
}

export interface FigureSpec {
  title: string;
  table: DataTable;
  /** Plot options (without `document`); `interactive` chooses pointer tips over SVG titles. */
  options(interactive: boolean): Plot.PlotOptions;
}

export interface RenderOptions {
  /** The DOM to build in (default: the global document). */
  document?: Document;
  /** Pointer tips (browser) instead of SVG titles (default false). */
  interactive?: boolean;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Renders a figure to an SVG element (no legends or captions, so Plot returns a bare <svg>). */
export function renderFigure(spec: FigureSpec, options: RenderOptions = {}): SVGSVGElement {
  const el = Plot.plot({ ...spec.options(options.interactive ?? false), document: options.document });
  el.setAttribute('xmlns', SVG_NS);
  return el as SVGSVGElement;
}

/** A rendered figure as a standalone SVG document string. */
export function svgString(el: Element): string {
  if (!el.getAttribute('xmlns')) el.setAttribute('xmlns', SVG_NS);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el.outerHTML}`;
}

/** RFC 4180 CSV of the figure's table (header row, CRLF line ends). */
export function figureCsv(spec: FigureSpec): string {
  const field = (v: Cell) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [spec.table.columns, ...spec.table.rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/** JSON of the figure's data: title, columns and one object per row. */
export function figureJson(spec: FigureSpec): string {
  const { columns, rows } = spec.table;
  const records = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  return JSON.stringify({ title: spec.title, columns, rows: records }, (_, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

/** Hover text of one row: `column: value` lines. */
export function hoverText(columns: string[], row: Cell[]): string {
  return columns
    .map((c, i) => `${c}: ${typeof row[i] === 'number' ? formatNumber(row[i]) : row[i]}`)
    .join('\n');
}

export const formatNumber = (v: number): string =>
  Number.isInteger(v)
    ? String(v)
    : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3
      ? v.toExponential(3)
      : v.toFixed(4);

/** Diverging RdBu colour scale centred at 0 (negative red, positive blue). */
export const divergingColor = (label: string): Plot.ScaleOptions => ({
  type: 'diverging',
  scheme: 'rdbu',
  pivot: 0,
  label,
});

/**
 * Mark options that show the row's values on hover: a pointer tip when interactive, an SVG <title>
 * otherwise. Rows are the table rows; `columns` name them.
 */
export function hover(columns: string[], interactive: boolean): Pick<Plot.MarkOptions, 'title' | 'tip'> {
  const title = (row: Cell[]) => hoverText(columns, row);
  return interactive ? { title, tip: true } : { title };
}

/** The figure title as a text mark above the frame (kept inside the SVG so exports carry it). */
export function titleMark(title: string): Plot.Markish {
  return Plot.text([title], {
    frameAnchor: 'top-left',
    dy: -24,
    fontWeight: 'bold',
    fontSize: 12,
    textAnchor: 'start',
    facet: 'super',
  });
}

/** Column accessor for row arrays. */
export const col =
  (i: number) =>
  (row: Cell[]): Cell =>
    row[i];
