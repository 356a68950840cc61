/**
 * MiniGrid index tables the renderers and experts need (`minigrid_spec.md` §1.1).
 * Local until the env core exports them; see the report.
 */
export const OBJECT = {
  unseen: 0,
  empty: 1,
  wall: 2,
  floor: 3,
  door: 4,
  key: 5,
  ball: 6,
  box: 7,
  goal: 8,
  lava: 9,
  agent: 10,
} as const;

/** Colour names in COLOR_TO_IDX order (red 0 ... grey 5). */
export const COLOR_NAMES_BY_IDX = ['red', 'green', 'blue', 'purple', 'yellow', 'grey'] as const;

export const STATE = { open: 0, closed: 1, locked: 2 } as const;

/** Direction index (0 east, 1 south, 2 west, 3 north) to unit vector, y down. */
export const DIR_TO_VEC: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];
