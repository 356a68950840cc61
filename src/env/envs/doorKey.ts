/**
 * DoorKey (`minigrid/envs/doorkey.py`): a wall column splits the grid; pick up the yellow key on
 * the agent's side, unlock the yellow door in the wall and reach the goal.
 */
import { MiniGridEnv } from '../core/miniGridEnv.ts';
import { Grid } from '../core/grid.ts';
import { Door, Goal, Key } from '../core/worldObj.ts';

export class DoorKeyEnv extends MiniGridEnv {
  constructor(size: number, maxSteps = 10 * size * size) {
    super({ width: size, height: size, maxSteps, seeThroughWalls: false });
    this.mission = 'use the key to open the door and then get to the goal';
  }

  protected genGrid(width: number, height: number): void {
    this.grid = new Grid(width, height);
    this.grid.wallRect(0, 0, width, height);
    this.putObj(new Goal(), width - 2, height - 2);
    const splitIdx = this.randInt(2, width - 2);
    this.grid.vertWall(splitIdx, 0);
    this.placeAgent(undefined, [splitIdx, height]);
    const doorIdx = this.randInt(1, width - 2);
    this.putObj(new Door('yellow', false, true), splitIdx, doorIdx);
    this.placeObj(new Key('yellow'), [0, 0], [splitIdx, height]);
    this.mission = 'use the key to open the door and then get to the goal';
  }
}
