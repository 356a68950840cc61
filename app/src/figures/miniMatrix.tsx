/** Tiny matrix thumbnails (plain SVG rects; thousands of cells stay cheap) with a shared colour scale. */

/** White to blue for values in [0, max]. */
export function sequentialColor(v: number, max: number): string {
  const t = Math.max(0, Math.min(1, max > 0 ? v / max : 0));
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(255, 29)},${c(255, 78)},${c(255, 216)})`;
}

/** Red (negative) - white - blue (positive), saturating at ±limit. */
export function divergingColor(v: number, limit: number): string {
  const t = Math.max(-1, Math.min(1, limit > 0 ? v / limit : 0));
  const to = t < 0 ? [220, 38, 38] : [37, 99, 235];
  const a = Math.abs(t);
  return `rgb(${to.map((x) => Math.round(255 + (x - 255) * a)).join(',')})`;
}

interface Props {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  cell: number;
  color: (v: number) => string;
  /** Values at or below this are drawn as masked (light grey). */
  maskBelow?: number;
  title?: string;
}

export function MiniMatrix({ data, rows, cols, cell, color, maskBelow, title }: Props) {
  const rects = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      const fill = maskBelow !== undefined && v <= maskBelow ? '#f1f5f9' : color(v);
      rects.push(
        <rect key={r * cols + c} x={c * cell} y={r * cell} width={cell} height={cell} fill={fill} />,
      );
    }
  return (
    <svg
      width={cols * cell}
      height={rows * cell}
      viewBox={`0 0 ${cols * cell} ${rows * cell}`}
      role="img"
      aria-label={title}
    >
      {title && <title>{title}</title>}
      {rects}
    </svg>
  );
}
