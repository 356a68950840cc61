/**
 * MiniGrid core semantics on hand-built grids: occlusion (`process_vis`), the agent view, step
 * rules per action, the reward formula, truncation and reset seeding. Expected values are worked
 * out by hand from `minigrid_spec.md` §1.
 */
import { describe, expect, it } from 'vitest';
import { Grid } from '../../../src/env/core/grid.ts';
import { MiniGridEnv } from '../../../src/env/core/miniGridEnv.ts';
import { Actions } from '../../../src/env/core/actions.ts';
import {
  Ball,
  Box,
  Door,
  Goal,
  Key,
  Lava,
  Wall,
  decodeWorldObj,
  type Pos,
} from '../../../src/env/core/worldObj.ts';
import { makeEnv } from '../../../src/env/registry.ts';

/** A walled room whose interior is filled by `build`; agent placed as given. */
class HandBuiltEnv extends MiniGridEnv {
  constructor(
    private readonly build: (grid: Grid) => void,
    private readonly start: Pos,
    private readonly dir: number,
    opts: { size?: number; maxSteps?: number; seeThroughWalls?: boolean } = {},
  ) {
    const size = opts.size ?? 7;
    super({
      width: size,
      height: size,
      maxSteps: opts.maxSteps ?? 100,
      seeThroughWalls: opts.seeThroughWalls ?? false,
    });
  }
  protected genGrid(width: number, height: number): void {
    this.grid = new Grid(width, height);
    this.grid.wallRect(0, 0, width, height);
    this.build(this.grid);
    this.agentPos = this.start;
    this.agentDir = this.dir;
    this.mission = 'test';
  }
}

/** Visible cells of a [x][y] mask as "x,y" strings. */
const visibleCells = (mask: Uint8Array, h: number): Set<string> => {
  const out = new Set<string>();
  mask.forEach((v, k) => v && out.add(`${Math.floor(k / h)},${k % h}`));
  return out;
};
const cell = (image: Uint8Array, vs: number, x: number, y: number): number[] =>
  Array.from(image.subarray((x * vs + y) * 3, (x * vs + y) * 3 + 3));

describe('Grid.processVis (occlusion)', () => {
  const viewGrid = (fill: (g: Grid) => void): Grid => {
    const g = new Grid(7, 7);
    fill(g);
    return g;
  };

  it('a full wall row hides everything beyond it but is itself visible', () => {
    const g = viewGrid((grid) => grid.horzWall(0, 4));
    g.set(2, 1, new Ball());
    const mask = g.processVis([3, 6]);
    for (let x = 0; x < 7; x++)
      for (let y = 0; y < 7; y++) expect(mask[x * 7 + y], `${x},${y}`).toBe(y >= 4 ? 1 : 0);
    expect(g.get(2, 1)).toBeNull();
    expect(g.get(2, 4)?.type).toBe('wall');
  });

  it('an open door in the wall row lets sight through; a closed one does not', () => {
    const withDoor = (open: boolean) =>
      viewGrid((grid) => {
        grid.horzWall(0, 4);
        grid.set(3, 4, new Door('red', open));
      }).processVis([3, 6]);
    expect(withDoor(true)[3 * 7 + 0]).toBe(1);
    expect(visibleCells(withDoor(true), 7).size).toBe(49);
    expect(withDoor(false)[3 * 7 + 3]).toBe(0);
    expect(visibleCells(withDoor(false), 7).size).toBe(21);
  });

  it('a single wall straight ahead hides nothing (the sweep goes round it); balls never block', () => {
    const g = viewGrid((grid) => {
      grid.set(3, 5, new Wall());
      grid.set(2, 2, new Ball());
    });
    expect(visibleCells(g.processVis([3, 6]), 7).size).toBe(49);
  });
});

describe('agent view', () => {
  it('rotates the world so the agent looks up from (3,6), with out-of-grid cells as walls', () => {
    // Agent at (1,3) facing east in a 7x7 room, a ball two cells ahead at (3,3), a key at (1,2) on its left.
    const env = new HandBuiltEnv(
      (g) => {
        g.set(3, 3, new Ball('red'));
        g.set(1, 2, new Key('yellow'));
      },
      [1, 3],
      0,
      { seeThroughWalls: true },
    );
    const obs = env.reset(0);
    expect(obs.shape).toEqual([7, 7, 3]);
    expect(obs.direction).toBe(0);
    expect(cell(obs.image, 7, 3, 4)).toEqual([6, 0, 0]); // two ahead
    expect(cell(obs.image, 7, 2, 6)).toEqual([5, 4, 0]); // immediately left
    expect(cell(obs.image, 7, 3, 6)).toEqual([1, 0, 0]); // the agent's own cell: empty
    expect(cell(obs.image, 7, 3, 0)).toEqual([2, 5, 0]); // 6 ahead: x=7 is outside the grid -> wall
    expect(cell(obs.image, 7, 0, 6)).toEqual([2, 5, 0]); // 3 to the left: y=0 border wall
  });

  it('shows the carried object in the agent cell (3,6)', () => {
    const env = new HandBuiltEnv((g) => g.set(2, 1, new Key('purple')), [1, 1], 0);
    env.reset(0);
    const { obs } = env.step(Actions.pickup);
    expect(env.carrying?.type).toBe('key');
    expect(cell(obs.image, 7, 3, 6)).toEqual([5, 3, 0]);
    expect(cell(obs.image, 7, 3, 5)).toEqual([1, 0, 0]);
  });
});

describe('step semantics', () => {
  it('turns left and right modulo 4 and moves forward only into free or overlappable cells', () => {
    const env = new HandBuiltEnv((g) => g.set(3, 1, new Wall()), [1, 1], 0);
    env.reset(0);
    expect(env.step(Actions.left).obs.direction).toBe(3);
    env.step(Actions.right);
    expect(env.agentDir).toBe(0);
    env.step(Actions.forward);
    expect(env.agentPos).toEqual([2, 1]);
    const blocked = env.step(Actions.forward);
    expect(env.agentPos).toEqual([2, 1]);
    expect(blocked).toMatchObject({ reward: 0, terminated: false, truncated: false });
  });

  it('pickup takes a pickable object only with empty hands; drop needs an empty front cell', () => {
    const env = new HandBuiltEnv(
      (g) => {
        g.set(2, 1, new Ball('green'));
        g.set(1, 2, new Key('blue'));
      },
      [1, 1],
      0,
    );
    env.reset(0);
    env.step(Actions.pickup);
    expect(env.carrying?.type).toBe('ball');
    expect(env.grid.get(2, 1)).toBeNull();
    env.step(Actions.right); // face the key at (1,2)
    env.step(Actions.pickup); // hands full: nothing happens
    expect(env.grid.get(1, 2)?.type).toBe('key');
    env.step(Actions.drop); // front occupied: nothing happens
    expect(env.carrying?.type).toBe('ball');
    env.step(Actions.left);
    env.step(Actions.drop);
    expect(env.carrying).toBeNull();
    expect(env.grid.get(2, 1)?.type).toBe('ball');
    expect(env.grid.get(2, 1)?.curPos).toEqual([2, 1]);
  });

  it('a locked door opens only with a key of its colour; unlocked doors flip', () => {
    const door = new Door('yellow', false, true);
    const env = new HandBuiltEnv(
      (g) => {
        g.set(2, 1, door);
        g.set(1, 2, new Key('blue'));
        g.set(1, 3, new Key('yellow'));
      },
      [1, 1],
      0,
    );
    env.reset(0);
    env.step(Actions.toggle);
    expect(door.encode()).toEqual([4, 4, 2]);
    env.step(Actions.right);
    env.step(Actions.pickup); // blue key
    env.step(Actions.left);
    env.step(Actions.toggle);
    expect(door.isLocked).toBe(true);
    env.step(Actions.right);
    env.step(Actions.drop);
    expect(env.carrying).toBeNull(); // dropped the blue key back at (1,2)
    env.step(Actions.forward);
    expect(env.agentPos).toEqual([1, 1]); // blocked by the blue key
    env.step(Actions.left);
    env.step(Actions.toggle);
    expect(door.isOpen).toBe(false);
  });

  it('toggling with the matching key unlocks and opens; forward then passes; toggling again closes', () => {
    const door = new Door('yellow', false, true);
    const env = new HandBuiltEnv((g) => g.set(2, 1, door), [1, 1], 0);
    env.reset(0);
    env.carrying = new Key('yellow');
    env.step(Actions.toggle);
    expect(door.encode()).toEqual([4, 4, 0]);
    env.step(Actions.forward);
    expect(env.agentPos).toEqual([2, 1]);
    env.step(Actions.forward);
    env.step(Actions.left);
    env.step(Actions.left); // at (3,1) facing the door
    env.step(Actions.toggle);
    expect(door.encode()).toEqual([4, 4, 1]);
  });

  it('toggling a box replaces it with its contents', () => {
    const env = new HandBuiltEnv((g) => g.set(2, 1, new Box('purple', new Key('red'))), [1, 1], 0);
    env.reset(0);
    env.step(Actions.toggle);
    expect(env.grid.get(2, 1)?.encode()).toEqual([5, 0, 0]);
  });

  it('goal pays 1 - 0.9 * stepCount / maxSteps and terminates; lava terminates with 0', () => {
    const env = new HandBuiltEnv((g) => g.set(4, 1, new Goal()), [1, 1], 0, { maxSteps: 40 });
    env.reset(0);
    env.step(Actions.forward);
    env.step(Actions.forward);
    const last = env.step(Actions.forward);
    expect(env.agentPos).toEqual([4, 1]);
    expect(last).toMatchObject({ reward: 1 - 0.9 * (3 / 40), terminated: true, truncated: false });
    expect(last.reward).toBeCloseTo(0.9325, 15);

    const lava = new HandBuiltEnv((g) => g.set(2, 1, new Lava()), [1, 1], 0);
    lava.reset(0);
    expect(lava.step(Actions.forward)).toMatchObject({ reward: 0, terminated: true });
    expect(lava.agentPos).toEqual([2, 1]);
  });

  it('truncates exactly at maxSteps, independently of termination', () => {
    const env = new HandBuiltEnv((g) => g.set(2, 1, new Goal()), [1, 1], 0, { maxSteps: 3 });
    env.reset(0);
    expect(env.step(Actions.done).truncated).toBe(false);
    expect(env.step(Actions.done).truncated).toBe(false);
    const third = env.step(Actions.forward);
    expect(third).toMatchObject({ terminated: true, truncated: true, reward: 1 - 0.9 });
  });

  it('rejects actions outside 0..6', () => {
    const env = new HandBuiltEnv(() => {}, [1, 1], 0);
    env.reset(0);
    expect(() => env.step(7)).toThrow(/0\.\.6/);
    expect(() => env.step(1.5)).toThrow(/0\.\.6/);
  });
});

describe('reset seeding', () => {
  const layout = (env: ReturnType<typeof makeEnv>): string => Array.from(env.snapshot().grid).join(',');

  it('reset(seed) is reproducible and reset() continues the stream like a fresh env seeded the same', () => {
    const a = makeEnv('MiniGrid-DoorKey-8x8-v0');
    const b = makeEnv('MiniGrid-DoorKey-8x8-v0');
    const layoutsA = [a.reset(5) && layout(a), ...Array.from({ length: 5 }, () => (a.reset(), layout(a)))];
    const layoutsB = [b.reset(5) && layout(b), ...Array.from({ length: 5 }, () => (b.reset(), layout(b)))];
    expect(layoutsB).toEqual(layoutsA);
    expect(new Set(layoutsA).size).toBeGreaterThan(1);
    a.reset(5);
    expect(layout(a)).toBe(layoutsA[0]);
  });

  it('an env never seeded draws OS entropy on its first reset', () => {
    const layouts = new Set(
      Array.from({ length: 12 }, () => {
        const env = makeEnv('MiniGrid-DoorKey-16x16-v0');
        env.reset();
        return layout(env) + env.agentPos.join() + env.agentDir;
      }),
    );
    expect(layouts.size).toBeGreaterThan(1);
  });
});

describe('decodeWorldObj', () => {
  it('round-trips every encodable object and rejects the agent and bad indices', () => {
    for (const obj of [
      new Wall(),
      new Key('red'),
      new Ball('grey'),
      new Door('blue', false, true),
      new Goal(),
      new Lava(),
    ]) {
      expect(decodeWorldObj(...obj.encode())?.encode()).toEqual(obj.encode());
    }
    expect(decodeWorldObj(1, 0, 0)).toBeNull();
    expect(decodeWorldObj(0, 0, 0)).toBeNull();
    expect(() => decodeWorldObj(10, 0, 0)).toThrow(/cannot decode/);
    expect(() => decodeWorldObj(42, 0, 0)).toThrow(/cannot decode/);
  });
});
