/**
 * Tiny matrix thumbnails: one pixel per cell written into an ImageData, scaled up without smoothing
 * (thousands of cells cost a fraction of a millisecond), with the colour scales shared by the panels.
 */
import { useEffect, useRef } from 'react';

export type Rgb = readonly [number, number, number];

const WHITE: Rgb = [255, 255, 255];
const BLUE: Rgb = [29, 78, 216];
const RD: Rgb = [178, 24, 43];
const BU: Rgb = [33, 102, 172];
const MASKED: Rgb = [241, 245, 249];

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];

/** White to blue for values in [0, max]. */
export const sequentialRgb = (v: number, max: number): Rgb =>
  mix(WHITE, BLUE, Math.max(0, Math.min(1, max > 0 ? v / max : 0)));

/** Blue (negative) - white - red (positive), saturating at ±limit: the heatmaps' RdBu look. */
export function divergingRgb(v: number, limit: number): Rgb {
  const t = Math.max(-1, Math.min(1, limit > 0 ? v / limit : 0));
  return mix(WHITE, t < 0 ? BU : RD, Math.abs(t));
}

interface Props {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Cell size in CSS pixels. */
  cell: number;
  color: (v: number) => Rgb;
  /** Values at or below this are drawn as masked (light grey). */
  maskBelow?: number;
  title?: string;
}

export function MiniMatrix({ data, rows, cols, cell, color, maskBelow, title }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const img = new ImageData(cols, rows);
    for (let i = 0; i < rows * cols; i++) {
      const v = data[i];
      const rgb = maskBelow !== undefined && v <= maskBelow ? MASKED : color(v);
      img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
  });
  return (
    <canvas
      ref={ref}
      width={cols}
      height={rows}
      style={{ width: cols * cell, height: rows * cell, imageRendering: 'pixelated' }}
      role="img"
      aria-label={title}
      title={title}
    />
  );
}
