/** Empty (`minigrid/envs/empty.py`): a walled room with the goal in the bottom-right corner. */
import { MiniGridEnv } from '../core/miniGridEnv.ts';
import { Grid } from '../core/grid.ts';
import { Goal, type Pos } from '../core/worldObj.ts';

export class EmptyEnv extends MiniGridEnv {
  /** `agentStartPos` null places the agent at a random cell with a random direction. */
  constructor(
    size: number,
    private readonly agentStartPos: Pos | null = [1, 1],
    private readonly agentStartDir = 0,
    maxSteps = 4 * size * size,
  ) {
    super({ width: size, height: size, maxSteps, seeThroughWalls: true });
    this.mission = 'get to the green goal square';
  }

  protected genGrid(width: number, height: number): void {
    this.grid = new Grid(width, height);
    this.grid.wallRect(0, 0, width, height);
    this.putObj(new Goal(), width - 2, height - 2);
    if (this.agentStartPos !== null) {
      this.agentPos = this.agentStartPos;
      this.agentDir = this.agentStartDir;
    } else {
      this.placeAgent();
    }
    this.mission = 'get to the green goal square';
  }
}
