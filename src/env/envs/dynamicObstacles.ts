/**
 * Dynamic-Obstacles (`minigrid/envs/dynamicobstacles.py`): reach the goal while blue balls move
 * one random cell (within their 3×3 neighbourhood) every step. Three actions; bumping into a ball
 * or a wall with `forward` ends the episode with reward -1. The agent sees through walls.
 */
import { Actions } from '../core/actions.ts';
import { MiniGridEnv, PlacementError } from '../core/miniGridEnv.ts';
import { Grid } from '../core/grid.ts';
import type { StepResult } from '../core/types.ts';
import { Ball, Goal, type Pos } from '../core/worldObj.ts';

export interface DynamicObstaclesOptions {
  size: number;
  /** Fixed agent start (facing `agentStartDir`), or null for a random cell and direction. */
  agentStartPos: Pos | null;
  agentStartDir: number;
  nObstacles: number;
  maxSteps?: number;
}

export class DynamicObstaclesEnv extends MiniGridEnv {
  readonly nObstacles: number;
  private readonly agentStartPos: Pos | null;
  private readonly agentStartDir: number;
  obstacles: Ball[] = [];

  constructor(options: DynamicObstaclesOptions) {
    const { size, nObstacles } = options;
    super({
      width: size,
      height: size,
      maxSteps: options.maxSteps ?? 4 * size * size,
      seeThroughWalls: true,
      nActions: 3,
    });
    this.agentStartPos = options.agentStartPos;
    this.agentStartDir = options.agentStartDir;
    // Too many obstacles are reduced to size/2, as upstream does.
    this.nObstacles = nObstacles <= size / 2 + 1 ? Math.trunc(nObstacles) : Math.trunc(size / 2);
    this.mission = 'get to the green goal square';
  }

  protected genGrid(width: number, height: number): void {
    this.grid = new Grid(width, height);
    this.grid.wallRect(0, 0, width, height);
    this.grid.set(width - 2, height - 2, new Goal());
    if (this.agentStartPos !== null) {
      this.agentPos = this.agentStartPos;
      this.agentDir = this.agentStartDir;
    } else {
      this.placeAgent();
    }
    this.obstacles = [];
    for (let i = 0; i < this.nObstacles; i++) {
      const ball = new Ball();
      this.obstacles.push(ball);
      this.placeObj(ball, undefined, undefined, undefined, 100);
    }
    this.mission = 'get to the green goal square';
  }

  /**
   * Actions >= 3 act as `left`. Whether the front cell is blocked is read before the obstacles
   * move; each obstacle then moves (101 tries, staying put if all fail), then the base step runs.
   */
  override step(action: number): StepResult {
    const act = action >= this.nActions ? Actions.left : action;
    const [fx, fy] = this.frontPos;
    const front = this.grid.get(fx, fy);
    const notClear = front !== null && front.type !== 'goal';
    for (const ball of this.obstacles) {
      const old = ball.curPos as Pos;
      try {
        this.placeObj(ball, [old[0] - 1, old[1] - 1], [3, 3], undefined, 100);
        this.grid.set(old[0], old[1], null);
      } catch (err) {
        if (!(err instanceof PlacementError)) throw err;
      }
    }
    const result = super.step(act);
    if (act === Actions.forward && notClear) {
      result.reward = -1;
      result.terminated = true;
    }
    return result;
  }
}
