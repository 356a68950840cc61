/** The DoorKey expert: fetch the key, open the door, walk to the goal. */
import { Actions } from '../core/actions.ts';
import type { EnvSnapshot } from '../snapshot.ts';
import { OBJECT_TO_IDX as OBJECT, STATE_TO_IDX as STATE } from '../core/constants.ts';
import { findCells } from './cells.ts';
import { goalExpert } from './goal.ts';
import { facing, firstStep } from './planner.ts';

/** Walks to face (x, y), then takes `action` there. */
function actOn(s: EnvSnapshot, [x, y]: readonly [number, number], action: number): number {
  const step = firstStep(s, { isGoal: facing(x, y) });
  if (step === 'arrived') return action;
  return step === 'unreachable' ? Actions.left : step;
}

/**
 * MiniGrid-DoorKey-*: with the door open, go to the goal; with it locked and no key in hand, face the
 * key and pick it up; otherwise face the door and toggle it (unlocks with the key, or opens a closed door).
 */
export function doorKeyExpert(s: EnvSnapshot): number {
  const door = findCells(s, OBJECT.door)[0];
  if (!door) return goalExpert(s);
  const doorState = s.grid[(door[0] * s.height + door[1]) * 3 + 2];
  if (doorState === STATE.open) return goalExpert(s);
  const key = findCells(s, OBJECT.key)[0];
  if (doorState === STATE.locked && s.carrying?.[0] !== OBJECT.key && key)
    return actOn(s, key, Actions.pickup);
  return actOn(s, door, Actions.toggle);
}
