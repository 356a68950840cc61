/**
 * MiniGrid world objects (`minigrid/core/world_object.py`): encoding, overlap/pickup/sight rules
 * and toggling. Positions are `[x, y]`; `curPos` is null for an object not on the grid.
 */
import { DtlensError } from '../../errors.ts';
import {
  COLOR_IDX_NAMES,
  COLOR_TO_IDX,
  OBJECT_NAMES,
  OBJECT_TO_IDX,
  type ColorName,
  type ObjectName,
} from './constants.ts';

export type Pos = readonly [number, number];

/** What `toggle` may change: the grid cell (a box opens into its contents) and the carried object. */
export interface ToggleContext {
  readonly carrying: WorldObj | null;
  setCell(pos: Pos, obj: WorldObj | null): void;
}

export abstract class WorldObj {
  initPos: Pos | null = null;
  curPos: Pos | null = null;

  constructor(
    readonly type: ObjectName,
    readonly color: ColorName,
  ) {}

  canOverlap(): boolean {
    return false;
  }
  canPickup(): boolean {
    return false;
  }
  seeBehind(): boolean {
    return true;
  }
  /** Reacts to the agent's toggle action; returns whether anything happened. */
  toggle(_ctx: ToggleContext, _pos: Pos): boolean {
    return false;
  }
  /** `(OBJECT_IDX, COLOR_IDX, state)`; the state is 0 except for doors. */
  encode(): [number, number, number] {
    return [OBJECT_TO_IDX[this.type], COLOR_TO_IDX[this.color], 0];
  }
}

export class Wall extends WorldObj {
  constructor(color: ColorName = 'grey') {
    super('wall', color);
  }
  override seeBehind(): boolean {
    return false;
  }
}

export class Floor extends WorldObj {
  constructor(color: ColorName = 'blue') {
    super('floor', color);
  }
  override canOverlap(): boolean {
    return true;
  }
}

export class Goal extends WorldObj {
  constructor(color: ColorName = 'green') {
    super('goal', color);
  }
  override canOverlap(): boolean {
    return true;
  }
}

export class Lava extends WorldObj {
  constructor() {
    super('lava', 'red');
  }
  override canOverlap(): boolean {
    return true;
  }
}

export class Door extends WorldObj {
  isOpen: boolean;
  isLocked: boolean;

  constructor(color: ColorName, isOpen = false, isLocked = false) {
    super('door', color);
    this.isOpen = isOpen;
    this.isLocked = isLocked;
  }
  override canOverlap(): boolean {
    return this.isOpen;
  }
  override seeBehind(): boolean {
    return this.isOpen;
  }
  /** A locked door opens only for a carried key of its colour; an unlocked one flips open/closed. */
  override toggle(ctx: ToggleContext): boolean {
    if (this.isLocked) {
      const held = ctx.carrying;
      if (held instanceof Key && held.color === this.color) {
        this.isLocked = false;
        this.isOpen = true;
        return true;
      }
      return false;
    }
    this.isOpen = !this.isOpen;
    return true;
  }
  /** State: open 0, else locked 2, else closed 1. */
  override encode(): [number, number, number] {
    const state = this.isOpen ? 0 : this.isLocked ? 2 : 1;
    return [OBJECT_TO_IDX.door, COLOR_TO_IDX[this.color], state];
  }
}

export class Key extends WorldObj {
  constructor(color: ColorName = 'blue') {
    super('key', color);
  }
  override canPickup(): boolean {
    return true;
  }
}

export class Ball extends WorldObj {
  constructor(color: ColorName = 'blue') {
    super('ball', color);
  }
  override canPickup(): boolean {
    return true;
  }
}

export class Box extends WorldObj {
  constructor(
    color: ColorName,
    public contains: WorldObj | null = null,
  ) {
    super('box', color);
  }
  override canPickup(): boolean {
    return true;
  }
  /** Opening a box replaces it with its contents. */
  override toggle(ctx: ToggleContext, pos: Pos): boolean {
    ctx.setCell(pos, this.contains);
    return true;
  }
}

/**
 * `WorldObj.decode(type, color, state)`: the object an encoded cell stands for, or null for
 * empty/unseen cells. The agent (10) is not an object and is rejected like any unknown index.
 */
export function decodeWorldObj(typeIdx: number, colorIdx: number, state: number): WorldObj | null {
  const type = OBJECT_NAMES[typeIdx];
  const color = COLOR_IDX_NAMES[colorIdx];
  if (type === 'unseen' || type === 'empty') return null;
  if (type === undefined || color === undefined || type === 'agent' || !(state >= 0 && state <= 2)) {
    throw new DtlensError('BAD_INPUT', `cannot decode object (${typeIdx}, ${colorIdx}, ${state})`);
  }
  switch (type) {
    case 'wall':
      return new Wall(color);
    case 'floor':
      return new Floor(color);
    case 'door':
      return new Door(color, state === 0, state === 2);
    case 'key':
      return new Key(color);
    case 'ball':
      return new Ball(color);
    case 'box':
      return new Box(color);
    case 'goal':
      return new Goal();
    case 'lava':
      return new Lava();
  }
}
