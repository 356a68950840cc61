/** Reading encoded cells out of an `EnvSnapshot` for the experts. */
import type { EnvSnapshot } from '../snapshot.ts';
import { OBJECT_TO_IDX as OBJECT, STATE_TO_IDX as STATE } from '../core/constants.ts';

export type Cell = readonly [type: number, color: number, state: number];
export type XY = readonly [number, number];

/** The encoded cell at (x, y); out-of-grid cells read as walls. */
export function cellAt(s: EnvSnapshot, x: number, y: number): Cell {
  if (x < 0 || y < 0 || x >= s.width || y >= s.height) return [OBJECT.wall, 5, 0];
  const o = (x * s.height + y) * 3;
  return [s.grid[o], s.grid[o + 1], s.grid[o + 2]];
}

/** Positions of all cells of the given object type, x-major. */
export function findCells(s: EnvSnapshot, type: number): XY[] {
  const out: XY[] = [];
  for (let x = 0; x < s.width; x++)
    for (let y = 0; y < s.height; y++) if (cellAt(s, x, y)[0] === type) out.push([x, y]);
  return out;
}

/** Whether the agent can stand on a cell without ending the episode badly (lava excluded). */
export function isWalkable([type, , state]: Cell): boolean {
  return (
    type === OBJECT.empty ||
    type === OBJECT.goal ||
    type === OBJECT.floor ||
    (type === OBJECT.door && state === STATE.open)
  );
}

export const samePos = (a: XY, b: XY): boolean => a[0] === b[0] && a[1] === b[1];
