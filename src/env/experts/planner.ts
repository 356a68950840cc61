/**
 * Shortest plans over the agent's (x, y, direction) states with the moves left, right and forward:
 * a breadth-first search returning only the first action, so experts replan every step.
 */
import type { EnvSnapshot } from '../snapshot.ts';
import { Actions } from '../core/actions.ts';
import { DIR_TO_VEC } from '../core/constants.ts';
import { cellAt, isWalkable } from './cells.ts';

const { left: LEFT, right: RIGHT, forward: FORWARD } = Actions;

export type PlanStep = number | 'arrived' | 'unreachable';

export interface PlanQuery {
  /** Whether the agent may stand on (x, y) (default: walkable cells). */
  canEnter?: (x: number, y: number) => boolean;
  /** Whether the agent standing on (x, y) facing `dir` has arrived. */
  isGoal: (x: number, y: number, dir: number) => boolean;
}

/** The first action (0 left, 1 right, 2 forward) of a shortest plan to a goal state, or why there is none. */
export function firstStep(s: EnvSnapshot, query: PlanQuery): PlanStep {
  const canEnter = query.canEnter ?? ((x: number, y: number) => isWalkable(cellAt(s, x, y)));
  const { width, height } = s;
  const id = (x: number, y: number, d: number) => (x * height + y) * 4 + d;
  const [sx, sy] = s.agentPos;
  if (query.isGoal(sx, sy, s.agentDir)) return 'arrived';
  const first = new Int8Array(width * height * 4).fill(-1);
  const queue: number[] = [id(sx, sy, s.agentDir)];
  first[queue[0]] = FORWARD; // marks the start as visited; never returned
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head];
    const d = state % 4;
    const y = Math.floor(state / 4) % height;
    const x = Math.floor(state / 4 / height);
    const [dx, dy] = DIR_TO_VEC[d];
    const moves: [number, number, number, number][] = [
      [FORWARD, x + dx, y + dy, d],
      [LEFT, x, y, (d + 3) % 4],
      [RIGHT, x, y, (d + 1) % 4],
    ];
    for (const [action, nx, ny, nd] of moves) {
      if (nx < 0 || ny < 0 || nx >= width || ny >= height || (action === FORWARD && !canEnter(nx, ny)))
        continue;
      const next = id(nx, ny, nd);
      if (first[next] !== -1) continue;
      const firstAction = head === 0 ? action : first[state];
      if (query.isGoal(nx, ny, nd)) return firstAction;
      first[next] = firstAction;
      queue.push(next);
    }
  }
  return 'unreachable';
}

/** Goal test "standing on (tx, ty)". */
export const standOn =
  (tx: number, ty: number) =>
  (x: number, y: number): boolean =>
    x === tx && y === ty;

/** Goal test "facing (tx, ty) from an adjacent cell". */
export const facing =
  (tx: number, ty: number) =>
  (x: number, y: number, dir: number): boolean =>
    x + DIR_TO_VEC[dir][0] === tx && y + DIR_TO_VEC[dir][1] === ty;

/** Walks to face (x, y) and then takes `action`; turns left if (x, y) cannot be faced. */
export function actOnCell(
  s: EnvSnapshot,
  [x, y]: readonly [number, number],
  action: number,
  canEnter?: PlanQuery['canEnter'],
): number {
  const step = firstStep(s, { isGoal: facing(x, y), canEnter });
  if (step === 'arrived') return action;
  return step === 'unreachable' ? Actions.left : step;
}
