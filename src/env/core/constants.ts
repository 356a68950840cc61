/** MiniGrid's index tables and direction vectors (`minigrid/core/constants.py`). */

export const OBJECT_NAMES = [
  'unseen',
  'empty',
  'wall',
  'floor',
  'door',
  'key',
  'ball',
  'box',
  'goal',
  'lava',
  'agent',
] as const;
export type ObjectName = (typeof OBJECT_NAMES)[number];
/** `OBJECT_TO_IDX`: unseen 0, empty 1, wall 2, floor 3, door 4, key 5, ball 6, box 7, goal 8, lava 9, agent 10. */
export const OBJECT_TO_IDX = Object.fromEntries(OBJECT_NAMES.map((n, i) => [n, i])) as Record<
  ObjectName,
  number
>;

/** Colours in `COLOR_TO_IDX` order: red 0, green 1, blue 2, purple 3, yellow 4, grey 5. */
export const COLOR_IDX_NAMES = ['red', 'green', 'blue', 'purple', 'yellow', 'grey'] as const;
export type ColorName = (typeof COLOR_IDX_NAMES)[number];
export const COLOR_TO_IDX = Object.fromEntries(COLOR_IDX_NAMES.map((n, i) => [n, i])) as Record<
  ColorName,
  number
>;
/** `COLOR_NAMES = sorted(COLORS)`: alphabetical, the order `_rand_color` draws from. */
export const COLOR_NAMES: readonly ColorName[] = [...COLOR_IDX_NAMES].sort();
/** RGB of each colour (`COLORS`). */
export const COLORS: Record<ColorName, readonly [number, number, number]> = {
  red: [255, 0, 0],
  green: [0, 255, 0],
  blue: [0, 0, 255],
  purple: [112, 39, 195],
  yellow: [255, 255, 0],
  grey: [100, 100, 100],
};

/** Door states in `STATE_TO_IDX` order: open 0, closed 1, locked 2. */
export const STATE_NAMES = ['open', 'closed', 'locked'] as const;
export type StateName = (typeof STATE_NAMES)[number];
export const STATE_TO_IDX = Object.fromEntries(STATE_NAMES.map((n, i) => [n, i])) as Record<
  StateName,
  number
>;

/** Unit step of each direction: 0 east (+x), 1 south (+y), 2 west, 3 north. */
export const DIR_TO_VEC: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];
