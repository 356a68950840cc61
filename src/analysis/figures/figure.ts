/**
 * The figure layer: a `FigureSpec` is an Observable Plot description of an analysis result plus the
 * long-format table behind it. It renders in a browser (real DOM) or in Node (linkedom, see
 * `src/node/figures.ts`) and exports to SVG, CSV and JSON. Interactive renders show pointer tips;
 * static renders (exports) give every mark an SVG `<title>` so values still show on hover.
 */
import * as Plot from '@observablehq/plot';
import { type ColourScale, legendSvg, maxAbs, sequentialScale, signedScale } from './colours.ts';

export type Cell = string | number;

/** Long-format data: one row per plotted element. */
export interface DataTable {
  columns: string[];
  rows: Cell[][];
}

export interface FigureSpec {
  title: string;
  /** The settings that produced the figure (direction, position, weights...), printed under it. */
  settings?: string;
  table: DataTable;
  /** Plot options (without `document`); `interactive` chooses pointer tips over SVG titles. */
  options(interactive: boolean): Plot.PlotOptions;
}

export interface RenderOptions {
  /** The DOM to build in (default: the global document). */
  document?: Document;
  /** Pointer tips (browser) instead of SVG titles (default false). */
  interactive?: boolean;
  /**
   * Draw the title and settings lines (default true). The app shows them as HTML around the figure
   * (`Figure.tsx`) and adds them back to its exports.
   */
  caption?: boolean;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Renders a figure to one SVG element: its title, the plot, the colour legend (for figures with a colour
 * scale) and its settings line, stacked (`composeSvg`).
 */
export function renderFigure(spec: FigureSpec, options: RenderOptions = {}): SVGSVGElement {
  const doc = options.document ?? document;
  const parts = renderFigureParts(spec, options);
  const caption = options.caption ?? true;
  return composeSvg(doc, parts, caption ? { title: spec.title, settings: spec.settings } : {});
}

/**
 * The plot and, for figures with a numeric colour scale, its legend: separate top-level SVGs. The app
 * shows these (Plot's pointer tips need the plot's own SVG to be top-level, not nested by `composeSvg`).
 */
export function renderFigureParts(spec: FigureSpec, options: RenderOptions = {}): SVGSVGElement[] {
  const doc = options.document ?? document;
  const plotOptions = spec.options(options.interactive ?? false);
  const plot = Plot.plot({ ...plotOptions, document: doc });
  const parts = [plot as SVGSVGElement];
  const colour = plotOptions.color as Partial<ColourScale> | undefined;
  // a numeric linear scale (colours.ts) gets a legend; categorical colours are named in titles
  if (colour?.type === 'linear' && colour.range && colour.domain?.every((d) => typeof d === 'number'))
    parts.push(legendSvg(doc, colour as ColourScale));
  return parts;
}

const TITLE_PX = 13;
const SETTINGS_PX = 11;
/** Generous text width (px) of a line in a sans-serif font: keeps long titles from being clipped. */
const textWidth = (text: string, px: number) => Math.ceil(text.length * px * 0.62) + 16;
const sizeOf = (el: Element, dim: 'width' | 'height') => {
  const v = Number(el.getAttribute(dim));
  return Number.isFinite(v) && v > 0 ? v : dim === 'width' ? 640 : 60;
};

/**
 * One standalone SVG stacking a title line, the given SVGs (plot, legend) and a settings line: what
 * every export carries, in the app (SVG/PNG) and from the CLI. Wide enough for the title. Without a
 * title (or settings) there is no such line. It has a viewBox: CSS can scale it down as one picture.
 */
export function composeSvg(
  doc: Document,
  parts: readonly SVGSVGElement[],
  text: { title?: string; settings?: string },
): SVGSVGElement {
  const out = doc.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
  out.setAttribute('xmlns', SVG_NS);
  out.setAttribute('font-family', 'system-ui, sans-serif');
  let y = 0;
  const line = (content: string, px: number, weight: string, fill: string) => {
    const t = doc.createElementNS(SVG_NS, 'text');
    t.setAttribute('x', '8');
    t.setAttribute('y', String(y + px + 4));
    t.setAttribute('font-size', String(px));
    t.setAttribute('font-weight', weight);
    t.setAttribute('fill', fill);
    t.textContent = content;
    out.append(t);
    y += px + 10;
  };
  let width = 0;
  if (text.title) {
    line(text.title, TITLE_PX, 'bold', '#0f172a');
    width = textWidth(text.title, TITLE_PX);
  }
  for (const part of parts) {
    const w = sizeOf(part, 'width');
    const h = sizeOf(part, 'height');
    const nested = part.cloneNode(true) as SVGSVGElement;
    nested.setAttribute('x', '0');
    nested.setAttribute('y', String(y));
    nested.setAttribute('width', String(w));
    nested.setAttribute('height', String(h));
    out.append(nested);
    y += h;
    width = Math.max(width, w);
  }
  if (text.settings) {
    line(text.settings, SETTINGS_PX, 'normal', '#64748b');
    width = Math.max(width, textWidth(text.settings, SETTINGS_PX));
  }
  out.setAttribute('width', String(width));
  out.setAttribute('height', String(y + 4));
  out.setAttribute('viewBox', `0 0 ${width} ${y + 4}`);
  return out;
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

/**
 * The colour scale of a figure's values (`colours.ts`): signed (red −, white 0, blue +, symmetric over
 * the data's max |value|) when any value is negative, else white to blue up to the maximum.
 */
export function valueColour(label: string, values: readonly Cell[]): Plot.ScaleOptions {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const limit = maxAbs(numbers);
  return numbers.some((v) => v < 0) ? signedScale(limit, label) : sequentialScale(limit, label);
}

/**
 * Mark options that show the row's values on hover: a pointer tip when interactive, an SVG <title>
 * otherwise. Rows are the table rows; `columns` name them.
 */
export function hover(columns: string[], interactive: boolean): Pick<Plot.MarkOptions, 'title' | 'tip'> {
  const title = (row: Cell[]) => hoverText(columns, row);
  return interactive ? { title, tip: true } : { title };
}

/** Column accessor for row arrays. */
export const col =
  (i: number) =>
  (row: Cell[]): Cell =>
    row[i];
