/** The Memory expert: remember the start-room object and walk next to the matching far object. */
import { Actions } from '../core/actions.ts';
import type { EnvSnapshot } from '../snapshot.ts';
import { OBJECT_TO_IDX as OBJECT } from '../core/constants.ts';
import { cellAt, findCells, isWalkable, samePos, type XY } from './cells.ts';
import { actOnCell, firstStep, standOn } from './planner.ts';

export interface MemoryExpertOptions {
  /** Go to the non-matching object instead (for failed demonstrations). */
  goWrong?: boolean;
}

/**
 * MiniGrid-Memory* envs (`minigrid_spec.md` §3.1-3.2): the instruction object is the key or ball nearest
 * the start room ((1,2) in S7 layouts), or the carried one; the two far objects are the key/ball cells
 * of the largest x, one above and one below the hallway. The episode ends when the agent steps on the
 * cell between them next to either one; this walks to the one next to the matching object (or the other
 * with `goWrong`), never entering the other.
 */
export function memoryExpert(options: MemoryExpertOptions = {}): (s: EnvSnapshot) => number {
  return (s) => {
    const items = [...findCells(s, OBJECT.key), ...findCells(s, OBJECT.ball)].sort(
      (a, b) => a[0] - b[0] || a[1] - b[1],
    );
    const farX = items.length > 0 ? items[items.length - 1][0] : -1;
    const far = items.filter(([x]) => x === farX);
    if (far.length < 2) return Actions.left;
    const [top, bottom] = [far[0], far[far.length - 1]];
    const instruction = s.carrying?.[0] ?? (items[0][0] === farX ? undefined : cellAt(s, ...items[0])[0]);
    if (instruction === undefined) return Actions.left;
    const topMatches = cellAt(s, ...top)[0] === instruction;
    const cells: [XY, XY] = [
      [top[0], top[1] + 1],
      [bottom[0], bottom[1] - 1],
    ];
    const [target, avoid] = topMatches !== (options.goWrong ?? false) ? cells : [cells[1], cells[0]];
    const canEnter = (x: number, y: number) => !samePos([x, y], avoid) && isWalkable(cellAt(s, x, y));
    const step = firstStep(s, { isGoal: standOn(...target), canEnter });
    // the start-room object, dropped in the way by a random action, is picked up again
    if (step === 'unreachable' && s.carrying === null)
      return actOnCell(s, items[0], Actions.pickup, canEnter);
    return typeof step === 'number' ? step : Actions.left;
  };
}
