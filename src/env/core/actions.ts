/** MiniGrid's discrete actions (`minigrid/core/actions.py`). */
export const Actions = {
  left: 0,
  right: 1,
  forward: 2,
  pickup: 3,
  drop: 4,
  toggle: 5,
  done: 6,
} as const;
export type ActionName = keyof typeof Actions;

/** Action names by index, as DTI's `IDX_TO_ACTION`. */
export const IDX_TO_ACTION: readonly ActionName[] = [
  'left',
  'right',
  'forward',
  'pickup',
  'drop',
  'toggle',
  'done',
];
