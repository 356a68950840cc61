/**
 * The geometry of MiniGrid tiles (`minigrid_spec.md` §5.2-5.3), in tile units ([0,1] with y down),
 * as plain data shared by the pixel rasteriser and the SVG renderer.
 */
import { DtlensError } from '../../errors.ts';
import {
  COLOR_IDX_NAMES,
  COLORS,
  OBJECT_TO_IDX as OBJECT,
  STATE_TO_IDX as STATE,
} from '../core/constants.ts';

export type Rgb = readonly [number, number, number];

/** A filled primitive. Rects are inclusive on all four bounds; lines are capsules of radius `r`. */
export type Shape =
  | { kind: 'rect'; xmin: number; xmax: number; ymin: number; ymax: number; color: Rgb }
  | { kind: 'circle'; cx: number; cy: number; r: number; color: Rgb }
  | { kind: 'line'; x0: number; y0: number; x1: number; y1: number; r: number; color: Rgb };

/** MiniGrid `COLORS`, indexed by COLOR_TO_IDX (red, green, blue, purple, yellow, grey). */
export const COLOR_RGB: readonly Rgb[] = COLOR_IDX_NAMES.map((name) => COLORS[name]);
export const BLACK: Rgb = [0, 0, 0];
export const GRID_LINE_RGB: Rgb = [100, 100, 100];
export const LAVA_RGB: Rgb = [255, 128, 0];
export const AGENT_RGB: Rgb = [255, 0, 0];
/** Highlight blend: `v + HIGHLIGHT_ALPHA * (255 - v)`. */
export const HIGHLIGHT_ALPHA = 0.3;

/** The agent triangle for direction 0 (pointing east); other directions rotate it about the centre. */
export const AGENT_TRIANGLE: readonly (readonly [number, number])[] = [
  [0.12, 0.19],
  [0.87, 0.5],
  [0.12, 0.81],
];

const rect = (xmin: number, xmax: number, ymin: number, ymax: number, color: Rgb): Shape => ({
  kind: 'rect',
  xmin,
  xmax,
  ymin,
  ymax,
  color,
});
const circle = (cx: number, cy: number, r: number, color: Rgb): Shape => ({
  kind: 'circle',
  cx,
  cy,
  r,
  color,
});
/** A colour scaled by `f` and truncated, as numpy does when a float colour lands in a uint8 image. */
const scaled = (c: Rgb, f: number): Rgb => [Math.trunc(c[0] * f), Math.trunc(c[1] * f), Math.trunc(c[2] * f)];

/** The two grey grid lines along the top and left edges, drawn first on every tile. */
export const GRID_LINES: readonly Shape[] = [
  rect(0, 0.031, 0, 1, GRID_LINE_RGB),
  rect(0, 1, 0, 0.031, GRID_LINE_RGB),
];

function lavaShapes(): Shape[] {
  const shapes = [rect(0, 1, 0, 1, LAVA_RGB)];
  for (let i = 0; i < 3; i++) {
    const ylo = 0.3 + 0.2 * i;
    const yhi = 0.4 + 0.2 * i;
    const waves: [number, number, number, number][] = [
      [0.1, ylo, 0.3, yhi],
      [0.3, yhi, 0.5, ylo],
      [0.5, ylo, 0.7, yhi],
      [0.7, yhi, 0.9, ylo],
    ];
    for (const [x0, y0, x1, y1] of waves)
      shapes.push({ kind: 'line', x0, y0, x1, y1, r: 0.03, color: BLACK });
  }
  return shapes;
}

function doorShapes(c: Rgb, state: number): Shape[] {
  if (state === STATE.open) return [rect(0.88, 1, 0, 1, c), rect(0.92, 0.96, 0.04, 0.96, BLACK)];
  if (state === STATE.locked) {
    return [
      rect(0, 1, 0, 1, c),
      rect(0.06, 0.94, 0.06, 0.94, scaled(c, 0.45)),
      rect(0.52, 0.75, 0.5, 0.56, c),
    ];
  }
  return [
    rect(0, 1, 0, 1, c),
    rect(0.04, 0.96, 0.04, 0.96, BLACK),
    rect(0.08, 0.92, 0.08, 0.92, c),
    rect(0.12, 0.88, 0.12, 0.88, BLACK),
    circle(0.75, 0.5, 0.08, c),
  ];
}

/**
 * The shapes of an encoded cell `(type, color, state)`, in drawing order, without grid lines or agent.
 * Unseen, empty and agent cells have none. Throws `BAD_INPUT` on an unknown type, colour or door state.
 */
export function objectShapes(type: number, color: number, state: number): Shape[] {
  if (type === OBJECT.unseen || type === OBJECT.empty || type === OBJECT.agent) return [];
  const c = COLOR_RGB[color];
  if (c === undefined) throw new DtlensError('BAD_INPUT', `unknown colour index ${color} in an encoded cell`);
  switch (type) {
    case OBJECT.wall:
    case OBJECT.goal:
      return [rect(0, 1, 0, 1, c)];
    case OBJECT.floor:
      return [rect(0.031, 1, 0.031, 1, scaled(c, 0.5))];
    case OBJECT.ball:
      return [circle(0.5, 0.5, 0.31, c)];
    case OBJECT.key:
      return [
        rect(0.5, 0.63, 0.31, 0.88, c),
        rect(0.38, 0.5, 0.59, 0.66, c),
        rect(0.38, 0.5, 0.81, 0.88, c),
        circle(0.56, 0.28, 0.19, c),
        circle(0.56, 0.28, 0.064, BLACK),
      ];
    case OBJECT.box:
      return [
        rect(0.12, 0.88, 0.12, 0.88, c),
        rect(0.18, 0.82, 0.18, 0.82, BLACK),
        rect(0.16, 0.84, 0.47, 0.53, c),
      ];
    case OBJECT.door:
      if (state > STATE.locked) throw new DtlensError('BAD_INPUT', `unknown door state ${state}`);
      return doorShapes(c, state);
    case OBJECT.lava:
      return lavaShapes();
    default:
      throw new DtlensError('BAD_INPUT', `unknown object index ${type} in an encoded cell`);
  }
}
