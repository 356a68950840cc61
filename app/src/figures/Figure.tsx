/**
 * A figure: an Observable Plot (or any SVG-producing function) with hover values and an export menu
 * (SVG, PNG, CSV, JSON). `draw` runs when `deps` change (pass the data it draws: re-renders of the
 * page with the same data cost nothing); exports read the latest `rows`, and SVG/PNG exports draw
 * `exportDraw` when given (a figure shown as a canvas still exports as SVG).
 */
import { useEffect, useRef, useState } from 'react';
import { composeSvg } from '../../../src/analysis/figures/figure.ts';
import { type ExportFormat, exportFigure } from './exportFigure.ts';

export interface FigureProps {
  /** File name stem of exports, e.g. "prediction-step3". */
  name: string;
  title?: string;
  /** The settings that produced the figure: shown under it and carried by SVG/PNG exports. */
  settings?: string;
  /** The figure's data, one object per mark datum: what CSV and JSON exports contain. */
  rows: readonly Record<string, unknown>[];
  draw: () => SVGSVGElement | HTMLElement;
  /** Draws the figure for SVG/PNG exports (default: what is on screen). */
  exportDraw?: () => SVGSVGElement | HTMLElement;
  deps: readonly unknown[];
  className?: string;
}

const FORMATS: ExportFormat[] = ['svg', 'png', 'csv', 'json'];

export function Figure({ name, title, settings, rows, draw, exportDraw, deps, className }: FigureProps) {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    try {
      const node = draw();
      // Plot gives each figure a <style>: adding one makes the browser re-match the whole page's
      // style rules on every redraw. styles.css holds the same rules once.
      for (const style of node.querySelectorAll('style')) style.remove();
      el.replaceChildren(node);
      setError(null);
    } catch (e) {
      el.replaceChildren();
      setError(e instanceof Error ? e.message : String(e));
    }
  }, deps);

  const onExport = (format: ExportFormat) => {
    // Every top-level SVG drawn (plot, legend), stacked under the title with the settings line.
    const drawn = exportDraw && format !== 'csv' && format !== 'json' ? exportDraw() : host.current;
    const found = drawn instanceof SVGSVGElement ? [drawn] : [...(drawn?.querySelectorAll('svg') ?? [])];
    const svgs = found.filter((s) => !s.parentElement?.closest('svg'));
    const svg = svgs.length ? composeSvg(document, svgs, { title: title ?? name, settings }) : null;
    exportFigure(format, name, svg, rows).catch((e: unknown) => setError(String(e)));
  };

  return (
    <figure className={`figure ${className ?? ''}`} data-figure={name}>
      <div className="figure-head">
        {title && <figcaption>{title}</figcaption>}
        <div className="export" role="group" aria-label={`export ${title ?? name}`}>
          {FORMATS.map((f) => (
            <button
              key={f}
              type="button"
              className="chip"
              onClick={() => onExport(f)}
              title={`Export as ${f.toUpperCase()}`}
            >
              {f.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      <div ref={host} className="figure-body" />
      {settings && <div className="figure-settings muted small">{settings}</div>}
      {error && <div className="error small">{error}</div>}
    </figure>
  );
}
