/** The expert that walks to the green goal: Empty, Dynamic-Obstacles and the Crossing envs (lava is not walkable). */
import { Actions } from '../core/actions.ts';
import type { EnvSnapshot } from '../snapshot.ts';
import { OBJECT_TO_IDX as OBJECT } from '../core/constants.ts';
import { findCells } from './cells.ts';
import { firstStep, standOn } from './planner.ts';

/**
 * First action of a shortest path onto the goal through the cells walkable right now, replanned every
 * step; turns left when no path exists (turning never ends an episode, and moving obstacles may clear
 * the way). In Dynamic-Obstacles the env penalises only a forward move into a cell occupied when the
 * action is chosen, which the plan never makes (balls are not walkable): the expert can only time out.
 */
export function goalExpert(s: EnvSnapshot): number {
  const goal = findCells(s, OBJECT.goal)[0];
  if (!goal) return Actions.left;
  const step = firstStep(s, { isGoal: standOn(goal[0], goal[1]) });
  return typeof step === 'number' ? step : Actions.left;
}
