/** The expert that walks to the green goal: Empty, Dynamic-Obstacles and the Crossing envs (lava is not walkable). */
import { Actions } from '../core/actions.ts';
import type { EnvSnapshot } from '../snapshot.ts';
import { OBJECT_TO_IDX as OBJECT } from '../core/constants.ts';
import { findCells } from './cells.ts';
import { firstStep, standOn, type PlanStep } from './planner.ts';

/**
 * First action of a shortest path onto the goal through the cells walkable right now, replanned every
 * step; turns left when no path exists (turning never ends an episode, and moving obstacles may clear
 * the way). In Dynamic-Obstacles the env penalises only a forward move into a cell occupied when the
 * action is chosen, which the plan never makes (balls are not walkable): the expert can only time out.
 */
export function goalExpert(s: EnvSnapshot): number {
  const step = goalStep(s);
  return typeof step === 'number' ? step : Actions.left;
}

/** The planner's verdict for reaching the goal: first action, 'arrived' or 'unreachable' (also without a goal). */
export function goalStep(s: EnvSnapshot): PlanStep {
  const goal = findCells(s, OBJECT.goal)[0];
  return goal ? firstStep(s, { isGoal: standOn(goal[0], goal[1]) }) : 'unreachable';
}
