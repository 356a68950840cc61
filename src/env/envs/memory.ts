/**
 * The Memory task: remember the object in the start room, walk the hallway, and step next to the
 * matching one of the two objects at its end. Covers DTI's `MemoryEnv`
 * (`src/environments/memory.py`: FixedStart, RandomDirection; pickup and drop work) and upstream
 * MiniGrid's (`minigrid/envs/memory.py`: random start x, pickup acts as toggle).
 */
import { Actions } from '../core/actions.ts';
import { MiniGridEnv } from '../core/miniGridEnv.ts';
import { Grid } from '../core/grid.ts';
import type { StepResult } from '../core/types.ts';
import { Ball, Key, Wall, type Pos } from '../core/worldObj.ts';
import { check } from '../../errors.ts';

export interface MemoryOptions {
  /** Odd grid side (>= 7). */
  size: number;
  maxSteps: number;
  /** Hallway end drawn in [4, size-2) instead of fixed at size-3. */
  randomLength: boolean;
  /** Agent x drawn in [1, hallwayEnd] instead of fixed at 1. */
  randomStartPos: boolean;
  /** Agent direction drawn in [0, 4) (after the start x) instead of east. */
  randomDirection: boolean;
  /** Upstream MiniGrid replaces pickup by toggle; DTI's env does not. */
  pickupActsAsToggle: boolean;
}

const MISSION = 'go to the matching object at the end of the hallway';
type ObjKind = 'key' | 'ball';

export class MemoryEnv extends MiniGridEnv {
  readonly options: MemoryOptions;
  successPos: Pos = [-1, -1];
  failurePos: Pos = [-1, -1];
  /** The start-room (instruction) object and the two far objects (top, bottom). */
  startObj: ObjKind = 'key';
  otherObjs: [ObjKind, ObjKind] = ['ball', 'key'];

  constructor(options: MemoryOptions) {
    check(
      Number.isInteger(options.size) && options.size >= 7 && options.size % 2 === 1,
      'BAD_ENV',
      `memory size must be an odd integer >= 7, got ${options.size}`,
    );
    super({ width: options.size, height: options.size, maxSteps: options.maxSteps, seeThroughWalls: false });
    this.options = options;
    this.mission = MISSION;
  }

  protected genGrid(width: number, height: number): void {
    const grid = new Grid(width, height);
    this.grid = grid;
    grid.horzWall(0, 0);
    grid.horzWall(0, height - 1);
    grid.vertWall(0, 0);
    grid.vertWall(width - 1, 0);
    const mid = Math.floor(height / 2);
    const upperRoomWall = mid - 2;
    const lowerRoomWall = mid + 2;
    const hallwayEnd = this.options.randomLength ? this.randInt(4, width - 2) : width - 3;
    for (let i = 1; i < 5; i++) {
      grid.set(i, upperRoomWall, new Wall());
      grid.set(i, lowerRoomWall, new Wall());
    }
    grid.set(4, upperRoomWall + 1, new Wall());
    grid.set(4, lowerRoomWall - 1, new Wall());
    for (let i = 5; i < hallwayEnd; i++) {
      grid.set(i, upperRoomWall + 1, new Wall());
      grid.set(i, lowerRoomWall - 1, new Wall());
    }
    for (let j = 0; j < height; j++) {
      if (j !== mid) grid.set(hallwayEnd, j, new Wall());
      grid.set(hallwayEnd + 2, j, new Wall());
    }
    const x = this.options.randomStartPos ? this.randInt(1, hallwayEnd + 1) : 1;
    this.agentPos = [x, mid];
    this.agentDir = this.options.randomDirection ? this.randInt(0, 4) : 0;

    const make = (kind: ObjKind) => (kind === 'key' ? new Key('green') : new Ball('green'));
    this.startObj = this.randElem<ObjKind>(['key', 'ball']);
    grid.set(1, mid - 1, make(this.startObj));
    this.otherObjs = this.randElem<[ObjKind, ObjKind]>([
      ['ball', 'key'],
      ['key', 'ball'],
    ]);
    const pos0: Pos = [hallwayEnd + 1, mid - 2];
    const pos1: Pos = [hallwayEnd + 1, mid + 2];
    grid.set(pos0[0], pos0[1], make(this.otherObjs[0]));
    grid.set(pos1[0], pos1[1], make(this.otherObjs[1]));
    const top: Pos = [pos0[0], pos0[1] + 1];
    const bottom: Pos = [pos1[0], pos1[1] - 1];
    [this.successPos, this.failurePos] = this.startObj === this.otherObjs[0] ? [top, bottom] : [bottom, top];
    this.mission = MISSION;
  }

  /** Base step; then reaching the success cell pays the reward and the failure cell 0, both terminating. */
  override step(action: number): StepResult {
    const effective = this.options.pickupActsAsToggle && action === Actions.pickup ? Actions.toggle : action;
    const result = super.step(effective);
    const [x, y] = this.agentPos;
    if (x === this.successPos[0] && y === this.successPos[1]) {
      result.reward = this.reward();
      result.terminated = true;
    }
    if (x === this.failurePos[0] && y === this.failurePos[1]) {
      result.reward = 0;
      result.terminated = true;
    }
    return result;
  }
}
