/**
 * Tiny matrix thumbnails: one pixel per cell written into an ImageData, scaled up without smoothing
 * (thousands of cells cost a fraction of a millisecond), in dtlens's colour convention (`colours.ts`).
 */
import { useEffect, useRef } from 'react';
import { MASKED, type Rgb } from '../../../src/analysis/figures/colours.ts';

interface Props {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Cell size in CSS pixels. */
  cell: number;
  color: (v: number) => Rgb;
  /** Cells drawn as masked (light grey), e.g. attention to later tokens. */
  masked?: (row: number, col: number) => boolean;
  title?: string;
}

export function MiniMatrix({ data, rows, cols, cell, color, masked, title }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const img = new ImageData(cols, rows);
    for (let i = 0; i < rows * cols; i++) {
      const v = data[i];
      const rgb = masked?.(Math.floor(i / cols), i % cols) ? MASKED : color(v);
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
