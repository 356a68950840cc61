/** The DoorKey expert: fetch the key, open the door, walk to the goal. */
import { Actions } from '../core/actions.ts';
import type { EnvSnapshot } from '../snapshot.ts';
import { OBJECT_TO_IDX as OBJECT, STATE_TO_IDX as STATE } from '../core/constants.ts';
import { findCells } from './cells.ts';
import { goalExpert, goalStep } from './goal.ts';
import { actOnCell } from './planner.ts';

/**
 * MiniGrid-DoorKey-*: with the door open, go to the goal; with it locked and no key in hand, face the
 * key and pick it up; otherwise face the door and toggle it (unlocks with the key, or opens a closed door).
 * A key lying in the way (dropped there by a random action) is picked up again.
 */
export function doorKeyExpert(s: EnvSnapshot): number {
  const door = findCells(s, OBJECT.door)[0];
  if (!door) return goalExpert(s);
  const doorState = s.grid[(door[0] * s.height + door[1]) * 3 + 2];
  const key = findCells(s, OBJECT.key)[0];
  if (doorState === STATE.open) {
    const step = goalStep(s);
    if (step === 'unreachable' && key && s.carrying === null) return actOnCell(s, key, Actions.pickup);
    return typeof step === 'number' ? step : Actions.left;
  }
  if (doorState === STATE.locked && s.carrying?.[0] !== OBJECT.key && key)
    return actOnCell(s, key, Actions.pickup);
  return actOnCell(s, door, Actions.toggle);
}
