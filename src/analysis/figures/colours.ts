/**
 * dtlens's one colour convention, shared by the app, the CLI figures and reports. Signed values:
 * positive = blue, negative = red, zero = white (ColorBrewer RdBu, Plot's `rdbu` scheme: low red, high
 * blue), symmetric around 0. Non-negative values (probabilities, norms): white to blue. Masked entries
 * (attention to later tokens): light grey, never a data colour.
 */
export type Rgb = readonly [number, number, number];

export const POSITIVE: Rgb = [33, 102, 172];
export const NEGATIVE: Rgb = [178, 24, 43];
export const ZERO: Rgb = [247, 247, 247];
export const MASKED: Rgb = [203, 213, 225];
const WHITE: Rgb = [255, 255, 255];

export const css = (c: Rgb): string => `rgb(${c.map((v) => Math.round(v)).join(',')})`;
export const MASKED_CSS = css(MASKED);

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];

/** A signed value's colour, saturating at ±limit. */
export function signedRgb(v: number, limit: number): Rgb {
  const t = Math.max(-1, Math.min(1, limit > 0 ? v / limit : 0));
  return mix(ZERO, t < 0 ? NEGATIVE : POSITIVE, Math.abs(t));
}

/** A non-negative value's colour in [0, max]. */
export const sequentialRgb = (v: number, max: number): Rgb =>
  mix(WHITE, POSITIVE, Math.max(0, Math.min(1, max > 0 ? v / max : 0)));

/** The colour of a bar with this value (its sign). */
export const barColour = (v: number): string => css(v < 0 ? NEGATIVE : POSITIVE);

/** Largest |value| among finite entries above the mask value (`-1e4`: TransformerLens's masked scores). */
export function maxAbs(values: ArrayLike<number>, maskAtOrBelow = -1e4): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && v > maskAtOrBelow) m = Math.max(m, Math.abs(v));
  }
  return m;
}

/** A linear colour scale: `domain` values mapped to `range` colours (what Plot and the legend read). */
export interface ColourScale {
  type: 'linear';
  domain: number[];
  range: string[];
  label?: string | null;
}

/** The signed scale: red at −limit, white at 0, blue at +limit (limit: max |value| of the data). */
export const signedScale = (limit: number, label?: string): ColourScale => ({
  type: 'linear',
  domain: [-(limit || 1e-9), 0, limit || 1e-9],
  range: [css(NEGATIVE), css(ZERO), css(POSITIVE)],
  label,
});

/** The non-negative scale: white at 0 to blue at max. */
export const sequentialScale = (max: number, label?: string): ColourScale => ({
  type: 'linear',
  domain: [0, max || 1e-9],
  range: [css(WHITE), css(POSITIVE)],
  label,
});

const SVG_NS = 'http://www.w3.org/2000/svg';
const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(1) : String(+v.toPrecision(3));

/**
 * A colour legend as SVG (no canvas, so it renders in Node too): a gradient bar over the scale's
 * domain with its values as ticks, the label above, and a grey "masked" swatch when asked.
 */
export function legendSvg(
  doc: Document,
  scale: ColourScale,
  options: { width?: number; masked?: boolean } = {},
): SVGSVGElement {
  const width = options.width ?? 260;
  const barW = width - (options.masked ? 100 : 40);
  const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
    const e = doc.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svg = el('svg', {
    xmlns: SVG_NS,
    width,
    height: 44,
    'font-size': 10,
    'font-family': 'system-ui, sans-serif',
  }) as SVGSVGElement;
  const id = `legend-${Math.random().toString(36).slice(2, 9)}`;
  const gradient = el('linearGradient', { id });
  const [lo, hi] = [scale.domain[0], scale.domain[scale.domain.length - 1]];
  scale.domain.forEach((d, i) =>
    gradient.append(
      el('stop', { offset: `${((d - lo) / (hi - lo || 1)) * 100}%`, 'stop-color': scale.range[i] }),
    ),
  );
  const defs = el('defs', {});
  defs.append(gradient);
  svg.append(defs, el('text', { x: 20, y: 11, 'font-weight': 'bold' }, scale.label ?? 'value'));
  svg.append(el('rect', { x: 20, y: 16, width: barW, height: 10, fill: `url(#${id})`, stroke: '#cbd5e1' }));
  for (const d of scale.domain) {
    const x = 20 + ((d - lo) / (hi - lo || 1)) * barW;
    svg.append(el('line', { x1: x, x2: x, y1: 26, y2: 30, stroke: '#0f172a' }));
    svg.append(el('text', { x, y: 40, 'text-anchor': 'middle' }, fmt(d)));
  }
  if (options.masked) {
    svg.append(el('rect', { x: barW + 34, y: 16, width: 10, height: 10, fill: MASKED_CSS }));
    svg.append(el('text', { x: barW + 48, y: 25 }, 'masked'));
  }
  return svg;
}
