/**
 * RedBlueDoors (`minigrid/envs/redbluedoors.py`): a room with a red door on the left wall and a
 * blue door on the right; success only when the blue door is opened after the red one.
 */
import { MiniGridEnv } from '../core/miniGridEnv.ts';
import { Grid } from '../core/grid.ts';
import type { StepResult } from '../core/types.ts';
import { Door } from '../core/worldObj.ts';

export class RedBlueDoorEnv extends MiniGridEnv {
  redDoor = new Door('red');
  blueDoor = new Door('blue');

  constructor(
    private readonly size: number,
    maxSteps = 20 * size * size,
  ) {
    super({ width: 2 * size, height: size, maxSteps, seeThroughWalls: false });
    this.mission = 'open the red door then the blue door';
  }

  protected genGrid(): void {
    const size = this.size;
    this.grid = new Grid(2 * size, size);
    this.grid.wallRect(0, 0, 2 * size, size);
    this.grid.wallRect(Math.floor(size / 2), 0, size, size);
    this.placeAgent([Math.floor(size / 2), 0], [size, size]);
    this.redDoor = new Door('red');
    this.grid.set(Math.floor(size / 2), this.randInt(1, size - 1), this.redDoor);
    this.blueDoor = new Door('blue');
    this.grid.set(Math.floor(size / 2) + size - 1, this.randInt(1, size - 1), this.blueDoor);
    this.mission = 'open the red door then the blue door';
  }

  override step(action: number): StepResult {
    const redBefore = this.redDoor.isOpen;
    const blueBefore = this.blueDoor.isOpen;
    const result = super.step(action);
    if (this.blueDoor.isOpen) {
      result.reward = redBefore ? this.reward() : 0;
      result.terminated = true;
    } else if (this.redDoor.isOpen && blueBefore) {
      result.reward = 0;
      result.terminated = true;
    }
    return result;
  }
}
