/**
 * The MiniGrid base environment (`minigrid/minigrid_env.py`): episode state, seeding, random
 * placement helpers, the egocentric agent view and the step semantics every env shares.
 * Subclasses build the layout in `genGrid` and may extend `step`.
 */
import { check, DtlensError } from '../../errors.ts';
import { npRandom, type Generator } from '../rng/index.ts';
import type { EnvSnapshot } from '../snapshot.ts';
import { Actions } from './actions.ts';
import { DIR_TO_VEC } from './constants.ts';
import { Grid } from './grid.ts';
import type { Env, Obs, StepResult } from './types.ts';
import type { Pos, WorldObj } from './worldObj.ts';

export interface MiniGridOptions {
  width: number;
  height: number;
  maxSteps: number;
  seeThroughWalls: boolean;
  agentViewSize?: number;
  /** Size of the action space (7, or 3 for Dynamic-Obstacles). */
  nActions?: number;
}

/** Thrown by `placeObj` when rejection sampling exceeds `maxTries` (Python's RecursionError). */
export class PlacementError extends Error {}

/** Checks a view size: odd and at least 3, as MiniGrid requires. */
export function checkViewSize(viewSize: number): void {
  check(
    Number.isInteger(viewSize) && viewSize >= 3 && viewSize % 2 === 1,
    'BAD_ENV',
    `view size must be an odd integer >= 3, got ${viewSize}`,
  );
}

export abstract class MiniGridEnv implements Env {
  readonly width: number;
  readonly height: number;
  readonly maxSteps: number;
  readonly seeThroughWalls: boolean;
  readonly agentViewSize: number;
  readonly nActions: number;
  mission = '';
  grid: Grid;
  agentPos: Pos = [-1, -1];
  agentDir = -1;
  carrying: WorldObj | null = null;
  stepCount = 0;
  private rng: Generator | null = null;

  constructor(options: MiniGridOptions) {
    const { width, height, maxSteps, seeThroughWalls, agentViewSize = 7, nActions = 7 } = options;
    check(
      Number.isSafeInteger(maxSteps) && maxSteps > 0,
      'BAD_ENV',
      `maxSteps must be a positive integer, got ${maxSteps}`,
    );
    checkViewSize(agentViewSize);
    this.width = width;
    this.height = height;
    this.maxSteps = maxSteps;
    this.seeThroughWalls = seeThroughWalls;
    this.agentViewSize = agentViewSize;
    this.nActions = nActions;
    this.grid = new Grid(width, height);
  }

  /** The env's `np_random`, created from OS entropy on first use if never seeded. */
  get npRandom(): Generator {
    this.rng ??= npRandom();
    return this.rng;
  }

  /** The raw env under any wrappers (itself). */
  get unwrapped(): MiniGridEnv {
    return this;
  }

  /** Builds the layout: sets `grid`, `agentPos`, `agentDir` and `mission`. */
  protected abstract genGrid(width: number, height: number): void;

  reset(seed?: number): Obs {
    if (seed !== undefined) this.rng = npRandom(seed);
    this.agentPos = [-1, -1];
    this.agentDir = -1;
    this.genGrid(this.width, this.height);
    const start = this.grid.get(this.agentPos[0], this.agentPos[1]);
    if (start !== null && !start.canOverlap()) {
      throw new DtlensError('BAD_ENV', `agent start cell (${this.agentPos}) is occupied`);
    }
    this.carrying = null;
    this.stepCount = 0;
    return this.genObs();
  }

  // Random helpers (`_rand_int`, `_rand_elem`), drawing from `npRandom`.
  protected randInt(low: number, high: number): number {
    return this.npRandom.integers(low, high);
  }
  protected randElem<T>(items: readonly T[]): T {
    return items[this.randInt(0, items.length)];
  }

  /** Puts `obj` at (x, y) and records its position. */
  protected putObj(obj: WorldObj, x: number, y: number): void {
    this.grid.set(x, y, obj);
    obj.initPos = [x, y];
    obj.curPos = [x, y];
  }

  /**
   * MiniGrid's `place_obj`: draws x then y uniformly in the rectangle (top clamped to 0, size
   * clipped to the grid) until the cell is empty and not the agent's; throws `PlacementError`
   * once more than `maxTries` tries failed (so `maxTries = 100` allows 101 tries).
   */
  protected placeObj(
    obj: WorldObj | null,
    top: Pos = [0, 0],
    size: Pos = [this.grid.width, this.grid.height],
    rejectFn?: (pos: Pos) => boolean,
    maxTries = Infinity,
  ): Pos {
    const topX = Math.max(top[0], 0);
    const topY = Math.max(top[1], 0);
    const endX = Math.min(topX + size[0], this.grid.width);
    const endY = Math.min(topY + size[1], this.grid.height);
    let numTries = 0;
    for (;;) {
      if (numTries > maxTries) throw new PlacementError('rejection sampling failed in placeObj');
      numTries++;
      const pos: Pos = [this.randInt(topX, endX), this.randInt(topY, endY)];
      if (this.grid.get(pos[0], pos[1]) !== null) continue;
      if (pos[0] === this.agentPos[0] && pos[1] === this.agentPos[1]) continue;
      if (rejectFn?.(pos)) continue;
      this.grid.set(pos[0], pos[1], obj);
      if (obj !== null) {
        obj.initPos = pos;
        obj.curPos = pos;
      }
      return pos;
    }
  }

  /** MiniGrid's `place_agent`: a random free cell, then (if `randDir`) a random direction. */
  protected placeAgent(top?: Pos, size?: Pos, randDir = true): Pos {
    this.agentPos = [-1, -1];
    const pos = this.placeObj(null, top, size);
    this.agentPos = pos;
    if (randDir) this.agentDir = this.randInt(0, 4);
    return pos;
  }

  get dirVec(): readonly [number, number] {
    return DIR_TO_VEC[this.agentDir];
  }

  /** The cell in front of the agent. */
  get frontPos(): Pos {
    const [dx, dy] = this.dirVec;
    return [this.agentPos[0] + dx, this.agentPos[1] + dy];
  }

  /** Success reward `1 - 0.9 * stepCount / maxSteps` (float64, after the step's increment). */
  protected reward(): number {
    return 1 - 0.9 * (this.stepCount / this.maxSteps);
  }

  /**
   * The agent's view: the `viewSize` square in front of it, rotated so the agent looks up from
   * `(viewSize//2, viewSize-1)`, with occlusion unless the env sees through walls, and the carried
   * object (or nothing) in the agent's own cell. `visible` is [x][y] flattened `x * viewSize + y`.
   */
  genObsGrid(viewSize = this.agentViewSize): { grid: Grid; visible: Uint8Array } {
    checkViewSize(viewSize);
    const [ax, ay] = this.agentPos;
    const half = Math.floor(viewSize / 2);
    const [topX, topY] = [
      [ax, ay - half],
      [ax - half, ay],
      [ax - viewSize + 1, ay - half],
      [ax - half, ay - viewSize + 1],
    ][this.agentDir];
    let grid = this.grid.slice(topX, topY, viewSize, viewSize);
    for (let i = 0; i < this.agentDir + 1; i++) grid = grid.rotateLeft();
    const agentCell: Pos = [half, viewSize - 1];
    const visible = this.seeThroughWalls
      ? new Uint8Array(viewSize * viewSize).fill(1)
      : grid.processVis(agentCell);
    grid.set(agentCell[0], agentCell[1], this.carrying);
    return { grid, visible };
  }

  observe(): Obs {
    return this.genObs();
  }

  /** `gen_obs()`: the encoded partial view, the direction and the mission. */
  genObs(): Obs {
    const { grid, visible } = this.genObsGrid();
    const vs = this.agentViewSize;
    return {
      image: grid.encode(visible),
      shape: [vs, vs, 3],
      direction: this.agentDir,
      mission: this.mission,
    };
  }

  /** The base `step`: front cell read before acting; truncation at `maxSteps` independent of termination. */
  step(action: number): StepResult {
    check(
      Number.isInteger(action) && action >= 0 && action < 7,
      'BAD_INPUT',
      `action must be an integer in 0..6, got ${action}`,
    );
    this.stepCount++;
    let reward = 0;
    let terminated = false;
    const fwdPos = this.frontPos;
    const fwdCell = this.grid.get(fwdPos[0], fwdPos[1]);
    switch (action) {
      case Actions.left:
        this.agentDir = (this.agentDir + 3) % 4;
        break;
      case Actions.right:
        this.agentDir = (this.agentDir + 1) % 4;
        break;
      case Actions.forward:
        if (fwdCell === null || fwdCell.canOverlap()) this.agentPos = fwdPos;
        if (fwdCell?.type === 'goal') {
          terminated = true;
          reward = this.reward();
        }
        if (fwdCell?.type === 'lava') terminated = true;
        break;
      case Actions.pickup:
        if (fwdCell?.canPickup() && this.carrying === null) {
          this.carrying = fwdCell;
          fwdCell.curPos = [-1, -1];
          this.grid.set(fwdPos[0], fwdPos[1], null);
        }
        break;
      case Actions.drop:
        if (fwdCell === null && this.carrying !== null) {
          this.grid.set(fwdPos[0], fwdPos[1], this.carrying);
          this.carrying.curPos = fwdPos;
          this.carrying = null;
        }
        break;
      case Actions.toggle:
        fwdCell?.toggle(
          { carrying: this.carrying, setCell: (pos, obj) => this.grid.set(pos[0], pos[1], obj) },
          fwdPos,
        );
        break;
      case Actions.done:
        break;
    }
    const truncated = this.stepCount >= this.maxSteps;
    return { obs: this.genObs(), reward, terminated, truncated };
  }

  /** World cells the agent sees (as MiniGrid's full render highlights them), [x][y] flattened `x * height + y`. */
  visibleWorldCells(): Uint8Array {
    const vs = this.agentViewSize;
    const half = Math.floor(vs / 2);
    const { visible } = this.genObsGrid();
    const [fx, fy] = this.dirVec;
    const [rx, ry] = [-fy, fx];
    const out = new Uint8Array(this.width * this.height);
    for (let vx = 0; vx < vs; vx++) {
      for (let vy = 0; vy < vs; vy++) {
        if (!visible[vx * vs + vy]) continue;
        const x = this.agentPos[0] + fx * (vs - 1 - vy) + rx * (vx - half);
        const y = this.agentPos[1] + fy * (vs - 1 - vy) + ry * (vx - half);
        if (this.grid.inBounds(x, y)) out[x * this.height + y] = 1;
      }
    }
    return out;
  }

  snapshot(): EnvSnapshot {
    const c = this.carrying?.encode();
    return {
      width: this.width,
      height: this.height,
      grid: this.grid.encode(),
      agentPos: [this.agentPos[0], this.agentPos[1]],
      agentDir: this.agentDir,
      carrying: c ? [c[0], c[1], c[2]] : null,
      agentViewSize: this.agentViewSize,
      visible: this.visibleWorldCells(),
      stepCount: this.stepCount,
      maxSteps: this.maxSteps,
      mission: this.mission,
    };
  }
}
