/**
 * Crossing (`minigrid/envs/crossing.py`): rivers of lava (LavaCrossing) or walls (SimpleCrossing)
 * cross the room, each with one opening; reach the goal in the bottom-right corner.
 */
import { check } from '../../errors.ts';
import { MiniGridEnv } from '../core/miniGridEnv.ts';
import { Grid } from '../core/grid.ts';
import { Goal, Lava, Wall } from '../core/worldObj.ts';

type RiverDir = 'v' | 'h';

export class CrossingEnv extends MiniGridEnv {
  constructor(
    size: number,
    private readonly numCrossings: number,
    private readonly obstacle: 'lava' | 'wall',
    maxSteps = 4 * size * size,
  ) {
    check(size % 2 === 1, 'BAD_ENV', `crossing size must be odd, got ${size}`);
    super({ width: size, height: size, maxSteps, seeThroughWalls: false });
    this.mission = this.missionText();
  }

  private missionText(): string {
    return this.obstacle === 'lava'
      ? 'avoid the lava and get to the green goal square'
      : 'find the opening and get to the green goal square';
  }

  protected genGrid(width: number, height: number): void {
    const grid = new Grid(width, height);
    this.grid = grid;
    grid.wallRect(0, 0, width, height);
    this.agentPos = [1, 1];
    this.agentDir = 0;
    this.putObj(new Goal(), width - 2, height - 2);

    let rivers: [RiverDir, number][] = [];
    for (let i = 2; i < height - 2; i += 2) rivers.push(['v', i]);
    for (let j = 2; j < width - 2; j += 2) rivers.push(['h', j]);
    this.npRandom.shuffle(rivers);
    rivers = rivers.slice(0, this.numCrossings);
    const byNumber = (a: number, b: number) => a - b;
    const riversV = rivers
      .filter(([d]) => d === 'v')
      .map(([, p]) => p)
      .sort(byNumber);
    const riversH = rivers
      .filter(([d]) => d === 'h')
      .map(([, p]) => p)
      .sort(byNumber);
    const makeObstacle = () => (this.obstacle === 'lava' ? new Lava() : new Wall());
    for (let i = 1; i < width - 1; i++) for (const j of riversH) this.putObj(makeObstacle(), i, j);
    for (const i of riversV) for (let j = 1; j < height - 1; j++) this.putObj(makeObstacle(), i, j);

    const path: RiverDir[] = [...riversV.map((): RiverDir => 'h'), ...riversH.map((): RiverDir => 'v')];
    this.npRandom.shuffle(path);
    const limitsV = [0, ...riversV, height - 1];
    const limitsH = [0, ...riversH, width - 1];
    let roomI = 0;
    let roomJ = 0;
    for (const direction of path) {
      let i: number;
      let j: number;
      if (direction === 'h') {
        i = limitsV[roomI + 1];
        j = this.npRandom.choiceRange(limitsH[roomJ] + 1, limitsH[roomJ + 1]);
        roomI++;
      } else {
        i = this.npRandom.choiceRange(limitsV[roomI] + 1, limitsV[roomI + 1]);
        j = limitsH[roomJ + 1];
        roomJ++;
      }
      grid.set(i, j, null);
    }
    this.mission = this.missionText();
  }
}
