/**
 * MiniGrid's `Grid` (`minigrid/core/grid.py`): a width × height array of world objects (null =
 * empty), wall helpers, the agent-view slice and rotation, `encode` and the `process_vis`
 * occlusion sweep.
 */
import { DtlensError } from '../../errors.ts';
import { Wall, type WorldObj } from './worldObj.ts';

export class Grid {
  private readonly cells: (WorldObj | null)[];

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 3 || height < 3) {
      throw new DtlensError('BAD_ENV', `grid size must be integers >= 3, got ${width}x${height}`);
    }
    this.cells = new Array<WorldObj | null>(width * height).fill(null);
  }

  inBounds(x: number, y: number): boolean {
    return x >= 0 && x < this.width && y >= 0 && y < this.height;
  }

  private index(x: number, y: number): number {
    if (!this.inBounds(x, y))
      throw new RangeError(`cell (${x}, ${y}) outside ${this.width}x${this.height} grid`);
    return y * this.width + x;
  }

  get(x: number, y: number): WorldObj | null {
    return this.cells[this.index(x, y)];
  }

  set(x: number, y: number, obj: WorldObj | null): void {
    this.cells[this.index(x, y)] = obj;
  }

  /** Walls from (x, y) rightwards, `length` cells (default: to the right edge). */
  horzWall(x: number, y: number, length = this.width - x, makeWall: () => WorldObj = () => new Wall()): void {
    for (let i = 0; i < length; i++) this.set(x + i, y, makeWall());
  }

  /** Walls from (x, y) downwards, `length` cells (default: to the bottom edge). */
  vertWall(
    x: number,
    y: number,
    length = this.height - y,
    makeWall: () => WorldObj = () => new Wall(),
  ): void {
    for (let j = 0; j < length; j++) this.set(x, y + j, makeWall());
  }

  /** The outline of the rectangle with top-left (x, y) and size w × h. */
  wallRect(x: number, y: number, w: number, h: number): void {
    this.horzWall(x, y, w);
    this.horzWall(x, y + h - 1, w);
    this.vertWall(x, y, h);
    this.vertWall(x + w - 1, y, h);
  }

  /** The grid turned 90° counter-clockwise: cell (i, j) moves to (j, width-1-i). */
  rotateLeft(): Grid {
    const out = new Grid(this.height, this.width);
    for (let i = 0; i < this.width; i++) {
      for (let j = 0; j < this.height; j++) out.set(j, out.height - 1 - i, this.get(i, j));
    }
    return out;
  }

  /** The w × h sub-grid at (topX, topY); cells outside this grid become walls. */
  slice(topX: number, topY: number, w: number, h: number): Grid {
    const out = new Grid(w, h);
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const x = topX + i;
        const y = topY + j;
        out.set(i, j, this.inBounds(x, y) ? this.get(x, y) : new Wall());
      }
    }
    return out;
  }

  /**
   * `grid.encode(vis_mask)`: uint8 [width][height][3] flattened as `(x * height + y) * 3 + c`.
   * Visible empty cells are (1,0,0); cells hidden by `visible` (same [x][y] layout) stay (0,0,0).
   */
  encode(visible?: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.width * this.height * 3);
    for (let x = 0; x < this.width; x++) {
      for (let y = 0; y < this.height; y++) {
        const k = x * this.height + y;
        if (visible && !visible[k]) continue;
        const obj = this.get(x, y);
        if (obj === null) out[k * 3] = 1;
        else out.set(obj.encode(), k * 3);
      }
    }
    return out;
  }

  /**
   * MiniGrid's `process_vis`: which cells the agent at `agentPos` sees through this (view) grid,
   * sweeping rows from the agent's row away from it; walls and closed doors block sight.
   * Returns the mask as [x][y] flattened `x * height + y` and empties every hidden cell.
   */
  processVis(agentPos: readonly [number, number]): Uint8Array {
    const W = this.width;
    const H = this.height;
    const mask = new Uint8Array(W * H);
    const at = (i: number, j: number): number => i * H + j;
    const blocks = (i: number, j: number): boolean => {
      const cell = this.get(i, j);
      return cell !== null && !cell.seeBehind();
    };
    mask[at(agentPos[0], agentPos[1])] = 1;
    for (let j = H - 1; j >= 0; j--) {
      for (let i = 0; i < W - 1; i++) {
        if (!mask[at(i, j)] || blocks(i, j)) continue;
        mask[at(i + 1, j)] = 1;
        if (j > 0) {
          mask[at(i + 1, j - 1)] = 1;
          mask[at(i, j - 1)] = 1;
        }
      }
      for (let i = W - 1; i >= 1; i--) {
        if (!mask[at(i, j)] || blocks(i, j)) continue;
        mask[at(i - 1, j)] = 1;
        if (j > 0) {
          mask[at(i - 1, j - 1)] = 1;
          mask[at(i, j - 1)] = 1;
        }
      }
    }
    for (let i = 0; i < W; i++) {
      for (let j = 0; j < H; j++) if (!mask[at(i, j)]) this.set(i, j, null);
    }
    return mask;
  }
}
