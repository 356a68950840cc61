/**
 * `TileGrid`: what a renderer draws (encoded cells, the agent, the highlighted cells), built from an
 * env snapshot (the full view) or from an observation image (the agent's point of view).
 */
import type { EnvSnapshot } from '../snapshot.ts';
import { check } from '../../errors.ts';
import { OBJECT_TO_IDX as OBJECT } from '../core/constants.ts';
import { denseImage } from '../decode.ts';

export interface TileGrid {
  width: number;
  height: number;
  /** Encoded cells [width][height][3] flattened `(x * height + y) * 3 + c`: (OBJECT_IDX, COLOR_IDX, STATE). */
  cells: Uint8Array;
  /** Where the agent is drawn, or null. Direction 0 east, 1 south, 2 west, 3 north. */
  agent: { x: number; y: number; dir: number } | null;
  /** [width][height] flattened `x * height + y`, 1 = highlighted; null for none. */
  highlight: Uint8Array | null;
}

/** Throws `BAD_INPUT` unless the grid's sizes, buffers and agent are consistent. */
export function checkTileGrid(g: TileGrid): void {
  check(
    Number.isInteger(g.width) &&
      Number.isInteger(g.height) &&
      g.width >= 1 &&
      g.height >= 1 &&
      g.width * g.height <= 1 << 16,
    'BAD_INPUT',
    `grid size must be positive integers (at most 65536 cells), got ${g.width}x${g.height}`,
  );
  check(
    g.cells.length === g.width * g.height * 3,
    'BAD_INPUT',
    `grid has ${g.cells.length} values, expected ${g.width * g.height * 3}`,
  );
  check(
    !g.highlight || g.highlight.length === g.width * g.height,
    'BAD_INPUT',
    'highlight mask size does not match the grid',
  );
  if (g.agent) {
    const { x, y, dir } = g.agent;
    check(
      Number.isInteger(dir) && dir >= 0 && dir <= 3,
      'BAD_INPUT',
      `agent direction must be 0..3, got ${dir}`,
    );
    check(
      Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < g.width && y < g.height,
      'BAD_INPUT',
      `agent position (${x}, ${y}) is outside the ${g.width}x${g.height} grid`,
    );
  }
}

/** The full grid of a snapshot, the agent at its position, and (if `highlight`) the cells it sees. */
export function snapshotTileGrid(snapshot: EnvSnapshot, highlight: boolean): TileGrid {
  const [x, y] = snapshot.agentPos;
  return {
    width: snapshot.width,
    height: snapshot.height,
    cells: snapshot.grid,
    agent: { x, y, dir: snapshot.agentDir },
    highlight: highlight ? snapshot.visible : null,
  };
}

/**
 * The agent's point of view from an observation image `[X][Y][C]` flattened `(x*Y + y)*C + c`,
 * C = 3 (codes) or 20 (one-hot): the agent at the bottom centre `(X//2, Y-1)` facing up, as MiniGrid's
 * `get_pov_render`. A fully observed image (`FullyObsWrapper`, with an agent cell of type 10) is drawn
 * as it is, with the agent at its own cell. With `highlightVisible`, cells that are not unseen are highlighted, so unseen
 * cells stay dark.
 */
export function observationTileGrid(
  image: Uint8Array,
  shape: readonly [number, number, number],
  highlightVisible: boolean,
): TileGrid {
  const [X, Y] = shape;
  const cells = denseImage({ image, shape: [...shape] });
  let highlight: Uint8Array | null = null;
  if (highlightVisible) {
    highlight = new Uint8Array(X * Y);
    for (let i = 0; i < X * Y; i++) highlight[i] = cells[i * 3] === OBJECT.unseen ? 0 : 1;
  }
  let fullyObserved = false;
  for (let i = 0; i < X * Y && !fullyObserved; i++) fullyObserved = cells[i * 3] === OBJECT.agent;
  const agent = fullyObserved ? null : { x: Math.floor(X / 2), y: Y - 1, dir: 3 };
  return { width: X, height: Y, cells, agent, highlight };
}

/**
 * Direction of the agent drawn on cell (x, y): the grid's agent if it stands there, else the state
 * of an encoded agent cell (type 10, as in `FullyObsWrapper` images), else null.
 */
export function agentDirAt(g: TileGrid, x: number, y: number): number | null {
  if (g.agent && g.agent.x === x && g.agent.y === y) return g.agent.dir;
  const o = (x * g.height + y) * 3;
  if (g.cells[o] !== OBJECT.agent) return null;
  const dir = g.cells[o + 2];
  check(dir <= 3, 'BAD_INPUT', `agent cell (${x}, ${y}) has direction ${dir}, expected 0..3`);
  return dir;
}
