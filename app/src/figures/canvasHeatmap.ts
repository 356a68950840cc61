/**
 * A heatmap whose cells are one small canvas (one pixel per cell, scaled up without smoothing) under a
 * light SVG of tick labels and axis titles, with the SVG colour legend below: the app's on-screen form
 * of large heatmaps, where thousands of SVG cells cost tens of milliseconds to build, style and lay out
 * on every step. Same geometry, colours and masking as the SVG heatmap (`plots.ts`), which exports
 * still use. Hovering a cell shows its row, column and value.
 */
import {
  MASKED,
  type Rgb,
  legendSvg,
  sequentialRgb,
  sequentialScale,
  signedRgb,
  signedScale,
} from '../../../src/analysis/figures/colours.ts';
import type { Cell, HeatmapLayout, HeatmapOptions } from './plots.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

export function canvasHeatmap(cells: Cell[], o: HeatmapOptions, layout: HeatmapLayout): HTMLElement {
  const { cellW, cellH, marginLeft, marginTop, width, height, maxAbs, ticks } = layout;
  const R = o.rowLabels.length;
  const C = o.colLabels.length;
  const sequential = o.scheme === 'sequential';
  const colour: (v: number) => Rgb = sequential
    ? (v) => sequentialRgb(v, maxAbs)
    : (v) => signedRgb(v, maxAbs);
  const grid: (Cell | undefined)[] = new Array(R * C);
  const pixels = new ImageData(Math.max(C, 1), Math.max(R, 1));
  for (const d of cells) {
    const i = d.r * C + d.c;
    grid[i] = d;
    const rgb = Number.isNaN(d.value) ? MASKED : colour(d.value);
    pixels.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  const canvas = document.createElement('canvas');
  canvas.width = pixels.width;
  canvas.height = pixels.height;
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
  // percentages of the figure: it scales down to fit its panel as the SVG heatmaps do
  const pct = (v: number, of: number) => `${(100 * v) / of}%`;
  Object.assign(canvas.style, {
    position: 'absolute',
    left: pct(marginLeft, width),
    top: pct(marginTop, height),
    width: pct(C * cellW, width),
    height: pct(R * cellH, height),
    imageRendering: 'pixelated',
  });
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `heatmap ${o.yLabel ?? 'rows'} × ${o.xLabel ?? 'columns'}`);
  canvas.addEventListener('mousemove', (e) => {
    const box = canvas.getBoundingClientRect();
    const c = Math.floor(((e.clientX - box.left) / box.width) * C);
    const r = Math.floor(((e.clientY - box.top) / box.height) * R);
    const d = r >= 0 && r < R && c >= 0 && c < C ? grid[r * C + c] : undefined;
    canvas.title = d
      ? `${o.yLabel ?? 'row'} ${d.row}, ${o.xLabel ?? 'column'} ${d.col}: ${Number.isNaN(d.value) ? 'masked' : d.value.toPrecision(4)}`
      : '';
  });

  const axes = document.createElementNS(SVG_NS, 'svg');
  axes.setAttribute('viewBox', `0 0 ${width} ${height}`);
  axes.setAttribute('width', '100%');
  axes.setAttribute('height', '100%');
  Object.assign(axes.style, { position: 'absolute', left: '0', top: '0' });
  axes.setAttribute('font-size', '11');
  axes.setAttribute('font-family', 'system-ui, sans-serif');
  const text = (content: string, attrs: Record<string, string | number>) => {
    const t = document.createElementNS(SVG_NS, 'text');
    for (const [k, v] of Object.entries(attrs)) t.setAttribute(k, String(v));
    t.textContent = content;
    axes.append(t);
  };
  const rowTicks = new Set(ticks(o.rowLabels));
  o.rowLabels.forEach((label, r) => {
    if (rowTicks.has(label))
      text(label, {
        x: marginLeft - 6,
        y: marginTop + (r + 0.5) * cellH,
        'text-anchor': 'end',
        'dominant-baseline': 'middle',
      });
  });
  const colTicks = new Set(ticks(o.colLabels));
  const bottom = marginTop + R * cellH;
  o.colLabels.forEach((label, c) => {
    const x = marginLeft + (c + 0.5) * cellW;
    if (colTicks.has(label))
      text(label, { x, y: bottom + 9, 'text-anchor': 'end', transform: `rotate(-45 ${x} ${bottom + 9})` });
  });
  if (o.xLabel)
    text(o.xLabel, {
      x: marginLeft + (C * cellW) / 2,
      y: height - 6,
      'text-anchor': 'middle',
      'font-weight': 'bold',
    });
  if (o.yLabel) {
    const y = marginTop + (R * cellH) / 2;
    text(o.yLabel, {
      x: 12,
      y,
      'text-anchor': 'middle',
      'font-weight': 'bold',
      transform: `rotate(-90 12 ${y})`,
    });
  }

  const plot = document.createElement('div');
  Object.assign(plot.style, {
    position: 'relative',
    width: '100%',
    maxWidth: `${width}px`,
    aspectRatio: `${width} / ${height}`,
  });
  plot.append(axes, canvas);
  const wrap = document.createElement('div');
  wrap.className = 'heatmap';
  const scale = (sequential ? sequentialScale : signedScale)(maxAbs, o.legend ?? 'value');
  wrap.append(plot, legendSvg(document, scale, { masked: cells.some((d) => Number.isNaN(d.value)) }));
  return wrap;
}
