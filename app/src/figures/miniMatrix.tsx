/**
 * Tiny matrix thumbnails drawn on a canvas (a few thousand cells cost well under a millisecond), with
 * the colour scales shared by the panels.
 */
import { useEffect, useRef } from 'react';

/** White to blue for values in [0, max]. */
export function sequentialColor(v: number, max: number): string {
  const t = Math.max(0, Math.min(1, max > 0 ? v / max : 0));
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(255, 29)},${c(255, 78)},${c(255, 216)})`;
}

/** Blue (negative) - white - red (positive), saturating at ±limit: the heatmaps' RdBu look. */
export function divergingColor(v: number, limit: number): string {
  const t = Math.max(-1, Math.min(1, limit > 0 ? v / limit : 0));
  const to = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(t);
  return `rgb(${to.map((x) => Math.round(255 + (x - 255) * a)).join(',')})`;
}

interface Props {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Cell size in CSS pixels. */
  cell: number;
  color: (v: number) => string;
  /** Values at or below this are drawn as masked (light grey). */
  maskBelow?: number;
  title?: string;
}

export function MiniMatrix({ data, rows, cols, cell, color, maskBelow, title }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const v = data[r * cols + c];
        ctx.fillStyle = maskBelow !== undefined && v <= maskBelow ? '#f1f5f9' : color(v);
        ctx.fillRect(c * cell, r * cell, cell, cell);
      }
  });
  const dpr = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
  return (
    <canvas
      ref={ref}
      width={cols * cell * dpr}
      height={rows * cell * dpr}
      style={{ width: cols * cell, height: rows * cell }}
      role="img"
      aria-label={title}
      title={title}
    />
  );
}
