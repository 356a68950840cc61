/**
 * Figure specs as standalone SVG strings without a browser DOM (linkedom's, pure JavaScript): used by
 * the CLI and by the app's worker for reports. Static renders: hover values as SVG `<title>`s.
 */
import { parseHTML } from 'linkedom';
import { type FigureSpec, renderFigure, svgString } from './figure.ts';

/** The figure as a standalone SVG document (with the XML declaration). */
export function renderFigureSvg(spec: FigureSpec): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  return svgString(renderFigure(spec, { document: document as unknown as Document }));
}
