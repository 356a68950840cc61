/**
 * Node rendering of figure specs: SVG through linkedom's DOM (`src/analysis/figures/svg.ts`, static:
 * hover values as SVG <title>s) and PNG rasterised by resvg with the system fonts.
 */
import { Resvg } from '@resvg/resvg-js';
import type { FigureSpec } from '../analysis/figures/figure.ts';
import { renderFigureSvg } from '../analysis/figures/svg.ts';

export { renderFigureSvg };

/** The figure as PNG bytes, `scale` device pixels per SVG pixel (default 2), on a white background. */
export function renderFigurePng(spec: FigureSpec, options: { scale?: number } = {}): Uint8Array {
  const svg = renderFigureSvg(spec);
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
