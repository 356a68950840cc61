/**
 * Pixel renderer reproducing MiniGrid's `rgb_array` rendering (`minigrid_spec.md` §5.1-5.3):
 * each tile is rasterised on a 3x super-sampled canvas by testing sub-pixel centres against the
 * shapes, highlighted per sub-pixel, then box-downsampled with numpy's order of operations and
 * truncated to uint8.
 *
 * Bit-exactness: rects, circles, grid lines, highlight and downsample use the same float64
 * operations as numpy and are exact. The agent triangle and lava lines emulate numpy's float32
 * vertex arrays with `Math.fround`; numpy may accumulate the 2-element float32 dot products
 * differently (BLAS), which could only flip sub-pixels lying within ~1e-7 of an edge. Not checked
 * against real MiniGrid output (none is available), only against the spec's hand restatement.
 */
import type { EnvSnapshot } from '../snapshot.ts';
import { check } from '../../errors.ts';
import {
  agentDirAt,
  checkTileGrid,
  observationTileGrid,
  snapshotTileGrid,
  type TileGrid,
} from './tileGrid.ts';
import {
  AGENT_RGB,
  AGENT_TRIANGLE,
  GRID_LINES,
  HIGHLIGHT_ALPHA,
  objectShapes,
  type Rgb,
  type Shape,
} from './shapes.ts';

const SUBDIVS = 3;
/** Largest frame renderRgb builds (64 Mpixel, 192 MiB). */
const MAX_PIXELS = 1 << 26;
const f32 = Math.fround;

/** `cos(-θ)`, `sin(-θ)` for θ = π/2·dir, as Python's float64 `math.cos`/`math.sin` return them. */
const ROTATION: readonly (readonly [number, number])[] = [
  [1.0, -0.0],
  [6.123233995736766e-17, -1.0],
  [-1.0, -1.2246467991473532e-16],
  [-1.8369701987210297e-16, 1.0],
];

type PointTest = (x: number, y: number) => boolean;

function lineTest(x0: number, y0: number, x1: number, y1: number, r: number): PointTest {
  const p0x = f32(x0);
  const p0y = f32(y0);
  const dx = f32(f32(x1) - p0x);
  const dy = f32(f32(y1) - p0y);
  const dist = f32(Math.sqrt(f32(f32(dx * dx) + f32(dy * dy))));
  const ux = f32(dx / dist);
  const uy = f32(dy / dist);
  const [xmin, xmax, ymin, ymax] = [
    Math.min(x0, x1) - r,
    Math.max(x0, x1) + r,
    Math.min(y0, y1) - r,
    Math.max(y0, y1) + r,
  ];
  return (x, y) => {
    if (x < xmin || x > xmax || y < ymin || y > ymax) return false;
    const a = Math.min(Math.max((x - p0x) * ux + (y - p0y) * uy, 0), dist);
    const ex = x - (p0x + a * ux);
    const ey = y - (p0y + a * uy);
    return Math.sqrt(ex * ex + ey * ey) <= r;
  };
}

function shapeTest(s: Shape): PointTest {
  switch (s.kind) {
    case 'rect':
      return (x, y) => x >= s.xmin && x <= s.xmax && y >= s.ymin && y <= s.ymax;
    case 'circle':
      return (x, y) => (x - s.cx) * (x - s.cx) + (y - s.cy) * (y - s.cy) <= s.r * s.r;
    case 'line':
      return lineTest(s.x0, s.y0, s.x1, s.y1, s.r);
  }
}

/** Barycentric point-in-triangle test with float32 vertices, wrapped in MiniGrid's `rotate_fn`. */
function agentTest(dir: number): PointTest {
  const [a, b, c] = AGENT_TRIANGLE.map(([x, y]) => [f32(x), f32(y)] as const);
  const v0 = [f32(c[0] - a[0]), f32(c[1] - a[1])] as const;
  const v1 = [f32(b[0] - a[0]), f32(b[1] - a[1])] as const;
  const dot32 = (p: readonly number[], q: readonly number[]): number =>
    f32(f32(p[0] * q[0]) + f32(p[1] * q[1]));
  const dot00 = dot32(v0, v0);
  const dot01 = dot32(v0, v1);
  const dot11 = dot32(v1, v1);
  const invDenom = f32(1 / f32(f32(dot00 * dot11) - f32(dot01 * dot01)));
  const [cos, sin] = ROTATION[dir];
  return (px, py) => {
    const rx = px - 0.5;
    const ry = py - 0.5;
    const x = 0.5 + rx * cos - ry * sin;
    const y = 0.5 + ry * cos + rx * sin;
    const v2x = x - a[0];
    const v2y = y - a[1];
    const dot02 = v0[0] * v2x + v0[1] * v2y;
    const dot12 = v1[0] * v2x + v1[1] * v2y;
    const u = (dot11 * dot02 - dot01 * dot12) * invDenom;
    const v = (dot00 * dot12 - dot01 * dot02) * invDenom;
    return u >= 0 && v >= 0 && u + v < 1;
  };
}

function fill(canvas: Uint8Array, n: number, test: PointTest, color: Rgb): void {
  for (let y = 0; y < n; y++) {
    const yf = (y + 0.5) / n;
    for (let x = 0; x < n; x++) {
      if (!test((x + 0.5) / n, yf)) continue;
      const o = (y * n + x) * 3;
      canvas[o] = color[0];
      canvas[o + 1] = color[1];
      canvas[o + 2] = color[2];
    }
  }
}

/** One cell to draw: its encoding, the agent direction if the agent stands there, and the highlight. */
export interface TileSpec {
  cell: readonly [number, number, number];
  agentDir: number | null;
  highlight: boolean;
}

/** Renders one tile as RGB bytes `[tileSize][tileSize][3]` (row-major, y down), as `Grid.render_tile`. */
export function renderTileRgb(spec: TileSpec, tileSize: number): Uint8Array {
  const n = tileSize * SUBDIVS;
  const canvas = new Uint8Array(n * n * 3);
  for (const s of GRID_LINES) fill(canvas, n, shapeTest(s), s.color);
  for (const s of objectShapes(...spec.cell)) fill(canvas, n, shapeTest(s), s.color);
  if (spec.agentDir !== null) fill(canvas, n, agentTest(spec.agentDir), AGENT_RGB);
  if (spec.highlight) {
    for (let i = 0; i < canvas.length; i++)
      canvas[i] = Math.trunc(canvas[i] + HIGHLIGHT_ALPHA * (255 - canvas[i]));
  }
  const out = new Uint8Array(tileSize * tileSize * 3);
  for (let Y = 0; Y < tileSize; Y++) {
    for (let X = 0; X < tileSize; X++) {
      for (let k = 0; k < 3; k++) {
        let acc = 0;
        for (let dy = 0; dy < SUBDIVS; dy++) {
          const row = ((Y * SUBDIVS + dy) * n + X * SUBDIVS) * 3 + k;
          const rowMean = (canvas[row] + canvas[row + 3] + canvas[row + 6]) / SUBDIVS;
          acc = dy === 0 ? rowMean : acc + rowMean;
        }
        out[(Y * tileSize + X) * 3 + k] = Math.trunc(acc / SUBDIVS);
      }
    }
  }
  return out;
}

/** Options of the pixel renderers. */
export interface RgbOptions {
  /** Pixels per cell (default 32, MiniGrid's TILE_PIXELS). */
  tileSize?: number;
  /** Lighten the cells the agent sees (default true, as `env.render()`). */
  highlight?: boolean;
}

export function checkTileSize(tileSize: number): void {
  check(
    Number.isInteger(tileSize) && tileSize >= 1 && tileSize <= 256,
    'BAD_INPUT',
    `tile size must be an integer in 1..256, got ${tileSize}`,
  );
}

/** Renders a tile grid to RGB bytes `[height*tileSize][width*tileSize][3]`, tiles cached by content. */
export function renderTileGridRgb(grid: TileGrid, tileSize: number): Uint8Array {
  checkTileSize(tileSize);
  checkTileGrid(grid);
  const { width, height } = grid;
  check(
    width * height * tileSize * tileSize <= MAX_PIXELS,
    'BAD_INPUT',
    `a ${width}x${height} grid at ${tileSize} px per tile exceeds ${MAX_PIXELS} pixels`,
  );
  const rowBytes = width * tileSize * 3;
  const frame = new Uint8Array(height * tileSize * rowBytes);
  const cache = new Map<string, Uint8Array>();
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const o = (i * height + j) * 3;
      const cell = [grid.cells[o], grid.cells[o + 1], grid.cells[o + 2]] as const;
      const agentDir = agentDirAt(grid, i, j);
      const highlight = grid.highlight !== null && grid.highlight[i * height + j] === 1;
      const key = `${cell.join(',')}|${agentDir}|${highlight}`;
      let tile = cache.get(key);
      if (!tile) {
        tile = renderTileRgb({ cell, agentDir, highlight }, tileSize);
        cache.set(key, tile);
      }
      for (let y = 0; y < tileSize; y++) {
        frame.set(
          tile.subarray(y * tileSize * 3, (y + 1) * tileSize * 3),
          (j * tileSize + y) * rowBytes + i * tileSize * 3,
        );
      }
    }
  }
  return frame;
}

/**
 * MiniGrid's `env.render()` (`get_full_render`): RGB bytes `[height*tileSize][width*tileSize][3]`,
 * row-major with y down, the agent drawn at its cell and the visible cells highlighted.
 */
export function renderRgb(snapshot: EnvSnapshot, options: RgbOptions = {}): Uint8Array {
  return renderTileGridRgb(snapshotTileGrid(snapshot, options.highlight ?? true), options.tileSize ?? 32);
}

/** MiniGrid's `get_pov_render` from an observation image `[X][Y][3 or 20]`: RGB `[Y*ts][X*ts][3]`. */
export function renderObservationRgb(
  image: Uint8Array,
  shape: readonly [number, number, number],
  options: RgbOptions = {},
): Uint8Array {
  return renderTileGridRgb(
    observationTileGrid(image, shape, options.highlight ?? true),
    options.tileSize ?? 32,
  );
}
