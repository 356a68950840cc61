/**
 * Environment layouts: invariants over many seeds, the hand-checkable seed-0 layouts of
 * `minigrid_spec.md` §3, and the consistency checks MiniGrid's own test-suite uses (§8.2).
 */
import { describe, expect, it } from 'vitest';
import { Actions } from '../../../src/env/core/actions.ts';
import type { MiniGridEnv } from '../../../src/env/core/miniGridEnv.ts';
import type { WorldObj } from '../../../src/env/core/worldObj.ts';
import { DynamicObstaclesEnv } from '../../../src/env/envs/dynamicObstacles.ts';
import { MemoryEnv } from '../../../src/env/envs/memory.ts';
import { RedBlueDoorEnv } from '../../../src/env/envs/redBlueDoors.ts';
import { listEnvIds, makeEnv } from '../../../src/env/registry.ts';

const SEEDS = Array.from({ length: 150 }, (_, i) => i);

/** Every object of the grid with its position. */
function objects(env: MiniGridEnv): { x: number; y: number; obj: WorldObj }[] {
  const out: { x: number; y: number; obj: WorldObj }[] = [];
  for (let x = 0; x < env.width; x++) {
    for (let y = 0; y < env.height; y++) {
      const obj = env.grid.get(x, y);
      if (obj) out.push({ x, y, obj });
    }
  }
  return out;
}

const typeAt = (env: MiniGridEnv, x: number, y: number) => env.grid.get(x, y)?.type ?? null;

describe('registry', () => {
  it('registers the ids DTI uses', () => {
    const ids = listEnvIds();
    for (const id of [
      'MiniGrid-MemoryS7FixedStart-v0',
      'MiniGrid-MemoryS7RandomDirection-v0',
      'MiniGrid-MemoryS17Random-v0',
      'MiniGrid-Dynamic-Obstacles-Random-6x6-v0',
      'MiniGrid-DoorKey-16x16-v0',
      'MiniGrid-Empty-Random-5x5-v0',
      'MiniGrid-SimpleCrossingS9N3-v0',
      'MiniGrid-LavaCrossingS11N5-v0',
      'MiniGrid-RedBlueDoors-8x8-v0',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('rejects unknown ids with BAD_ENV naming close matches', () => {
    expect(() => makeEnv('MiniGrid-DoorKey-7x7-v0')).toThrow(
      expect.objectContaining({
        code: 'BAD_ENV',
        message: expect.stringMatching(/did you mean MiniGrid-DoorKey-/),
      }),
    );
    expect(() => makeEnv('toString')).toThrow(expect.objectContaining({ code: 'BAD_ENV' }));
  });

  it('uses each env default max_steps unless overridden', () => {
    expect(makeEnv('MiniGrid-MemoryS7FixedStart-v0').maxSteps).toBe(1000);
    expect(makeEnv('MiniGrid-MemoryS7-v0').maxSteps).toBe(5 * 49);
    expect(makeEnv('MiniGrid-Dynamic-Obstacles-8x8-v0').maxSteps).toBe(256);
    expect(makeEnv('MiniGrid-DoorKey-8x8-v0').maxSteps).toBe(640);
    expect(makeEnv('MiniGrid-Empty-5x5-v0').maxSteps).toBe(100);
    expect(makeEnv('MiniGrid-DoorKey-8x8-v0', { maxSteps: 20 }).maxSteps).toBe(20);
    expect(() => makeEnv('MiniGrid-Empty-5x5-v0', { maxSteps: 0 })).toThrow(/maxSteps/);
  });

  it('every registered env resets and steps through many seeds with the agent on a free cell', () => {
    let steps = 0;
    for (const id of listEnvIds()) {
      const env = makeEnv(id);
      for (const seed of [0, 1, 2, 3]) {
        const first = env.reset(seed);
        const where = `${id} seed ${seed}`;
        const onFreeCell = () => {
          const cell = env.grid.get(env.agentPos[0], env.agentPos[1]);
          return cell === null || cell.canOverlap();
        };
        expect(onFreeCell(), where).toBe(true);
        expect(first.image.length, where).toBe(7 * 7 * 3);
        for (let t = 0; t < 20; t++) {
          const r = env.step((seed * 7 + t * 3) % env.nActions);
          steps++;
          expect(env.stepCount, where).toBe(t + 1);
          expect(r.obs.image.length, where).toBe(7 * 7 * 3);
          expect(r.truncated, where).toBe(t + 1 >= env.maxSteps);
          const [x, y] = env.agentPos;
          expect(x > 0 && x < env.width - 1 && y > 0 && y < env.height - 1, `${where} inside the walls`).toBe(
            true,
          );
          // a success pays 1 - 0.9 * steps / max_steps; otherwise 0, or -1 for a collision
          if (r.reward > 0) expect(r.reward, where).toBe(1 - 0.9 * ((t + 1) / env.maxSteps));
          else expect([0, -1], where).toContain(r.reward);
          if (r.terminated) break;
          expect(onFreeCell(), `${where} step ${t}`).toBe(true);
        }
      }
    }
    expect(steps).toBeGreaterThan(listEnvIds().length * 4 * 5);
  });
});

describe('MiniGrid-MemoryS7FixedStart-v0', () => {
  it('seed 0: ball in the start room, key on top, success at the bottom (spec §3.1)', () => {
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0') as MemoryEnv;
    const obs = env.reset(0);
    expect([typeAt(env, 1, 2), typeAt(env, 5, 1), typeAt(env, 5, 5)]).toEqual(['ball', 'key', 'ball']);
    expect(env.successPos).toEqual([5, 4]);
    expect(env.failurePos).toEqual([5, 2]);
    // Spec §4.6 reset observation, rows vy (far to near), columns vx.
    const table = [
      '000 000 000 000 000 000 000',
      '250 250 250 250 250 250 250',
      '250 510 100 100 100 610 250',
      '000 250 250 100 250 250 000',
      '000 250 100 100 100 250 000',
      '000 250 100 100 100 250 000',
      '000 250 610 100 100 250 000',
    ].map((row) => row.split(' '));
    for (let vx = 0; vx < 7; vx++) {
      for (let vy = 0; vy < 7; vy++) {
        const k = (vx * 7 + vy) * 3;
        expect(Array.from(obs.image.subarray(k, k + 3)).join(''), `(${vx},${vy})`).toBe(table[vy][vx]);
      }
    }
  });

  it('reset() after reset(0) uses the next PCG64 output (numpy reference 0x4510bdf882d9d721)', () => {
    // Each FixedStart reset takes one 64-bit output: bit 31 picks key(0)/ball(1), bit 63 the far order.
    // Seed 0 output 1 is 0xa30febcf_d9c2825f -> ball, [key, ball]; output 2 is 0x4510bdf8_82d9d721 -> ball, [ball, key].
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0') as MemoryEnv;
    env.reset(0);
    expect([env.startObj, ...env.otherObjs]).toEqual(['ball', 'key', 'ball']);
    env.reset();
    expect([env.startObj, ...env.otherObjs]).toEqual(['ball', 'ball', 'key']);
    expect(env.successPos).toEqual([5, 2]);
    expect(() => env.reset(-1)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });

  it('seed 0 optimal path [2,2,2,2,1,2] succeeds with reward 1 - 0.9*6/1000', () => {
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0');
    env.reset(0);
    const results = [2, 2, 2, 2, 1, 2].map((a) => env.step(a));
    expect(results.slice(0, 5).every((r) => !r.terminated && r.reward === 0)).toBe(true);
    expect(results[5]).toMatchObject({ reward: 1 - 0.9 * (6 / 1000), terminated: true, truncated: false });
    expect(results[5].reward).toBeCloseTo(0.9946, 12);
  });

  it('over many seeds: fixed start, the instruction object matches exactly one far object, all 4 layouts occur', () => {
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0') as MemoryEnv;
    const layouts = new Set<string>();
    for (const seed of SEEDS) {
      env.reset(seed);
      expect(env.agentPos).toEqual([1, 3]);
      expect(env.agentDir).toBe(0);
      const instruction = typeAt(env, 1, 2);
      const far = [typeAt(env, 5, 1), typeAt(env, 5, 5)];
      expect(far.filter((t) => t === instruction)).toHaveLength(1);
      expect([...far].sort()).toEqual(['ball', 'key']);
      const matchTop = far[0] === instruction;
      expect(env.successPos).toEqual(matchTop ? [5, 2] : [5, 4]);
      layouts.add(`${instruction}/${far[0]}`);
    }
    expect(layouts.size).toBe(4);
  });

  it('pickup works in DTI env (the start object is carried) but acts as toggle upstream', () => {
    const dti = makeEnv('MiniGrid-MemoryS7FixedStart-v0');
    dti.reset(0);
    dti.step(Actions.left);
    dti.step(Actions.pickup);
    expect(dti.carrying?.type).toBe('ball');
    const upstream = makeEnv('MiniGrid-MemoryS7-v0');
    let checked = 0;
    for (const seed of SEEDS.slice(0, 40)) {
      upstream.reset(seed);
      if (upstream.agentPos[0] !== 1) continue; // random start x in 1..4: only x = 1 faces the start object
      upstream.step(Actions.left);
      upstream.step(Actions.pickup);
      expect(upstream.carrying).toBeNull();
      expect(upstream.grid.get(1, 2)).not.toBeNull();
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(5); // about a quarter of the 40 seeds
  });

  it('failure cell ends the episode with reward 0', () => {
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0');
    env.reset(0); // success at the bottom, so turning left (up) leads to failure
    const results = [2, 2, 2, 2, 0, 2].map((a) => env.step(a));
    expect(results[5]).toMatchObject({ reward: 0, terminated: true });
  });
});

describe('other Memory variants', () => {
  it('RandomDirection draws the start x in 1..4 and all four directions on the middle row', () => {
    const env = makeEnv('MiniGrid-MemoryS7RandomDirection-v0');
    const dirs = new Set<number>();
    const xs = new Set<number>();
    for (const seed of SEEDS) {
      env.reset(seed);
      expect(env.agentPos[1]).toBe(3);
      xs.add(env.agentPos[0]);
      dirs.add(env.agentDir);
    }
    expect([...xs].sort()).toEqual([1, 2, 3, 4]);
    expect([...dirs].sort()).toEqual([0, 1, 2, 3]);
  });

  it('random-length hallways place the far objects right after the hallway end', () => {
    for (const id of ['MiniGrid-MemoryS13Random-v0', 'MiniGrid-MemoryS17Random-v0']) {
      const env = makeEnv(id) as MemoryEnv;
      const ends = new Set<number>();
      for (const seed of SEEDS.slice(0, 60)) {
        env.reset(seed);
        const mid = Math.floor(env.height / 2);
        const far = objects(env).filter(({ obj, x }) => obj.type !== 'wall' && x > 1);
        expect(far).toHaveLength(2);
        const end = far[0].x - 1;
        ends.add(end);
        expect(typeAt(env, end, mid)).toBeNull(); // the hallway opening
        expect(typeAt(env, end + 2, mid)).toBe('wall');
        expect(env.agentPos[0]).toBeGreaterThanOrEqual(1);
        expect(env.agentPos[0]).toBeLessThanOrEqual(end);
      }
      expect(ends.size).toBeGreaterThan(1);
    }
  });
});

describe('Dynamic-Obstacles', () => {
  it('8x8 seed 0 starts with obstacles at (6,5), (4,2), (1,6), (4,4) (spec §3.3)', () => {
    const env = makeEnv('MiniGrid-Dynamic-Obstacles-8x8-v0') as DynamicObstaclesEnv;
    env.reset(0);
    expect(env.obstacles.map((b) => b.curPos)).toEqual([
      [6, 5],
      [4, 2],
      [1, 6],
      [4, 4],
    ]);
  });

  it('keeps n blue balls off walls, goal and agent, each moving at most one cell per step', () => {
    for (const [id, n] of [
      ['MiniGrid-Dynamic-Obstacles-5x5-v0', 2],
      ['MiniGrid-Dynamic-Obstacles-Random-6x6-v0', 3],
      ['MiniGrid-Dynamic-Obstacles-8x8-v0', 4],
      ['MiniGrid-Dynamic-Obstacles-16x16-v0', 8],
    ] as const) {
      const env = makeEnv(id) as DynamicObstaclesEnv;
      expect(env.nActions).toBe(3);
      for (const seed of SEEDS.slice(0, 30)) {
        env.reset(seed);
        for (let t = 0; t < 10; t++) {
          const balls = objects(env).filter(({ obj }) => obj.type === 'ball');
          expect(balls).toHaveLength(n);
          expect(balls.every(({ obj }) => obj.encode().join() === '6,2,0')).toBe(true);
          expect(balls.some(({ x, y }) => x === env.agentPos[0] && y === env.agentPos[1])).toBe(false);
          expect(typeAt(env, env.width - 2, env.height - 2)).toBe('goal');
          const before = env.obstacles.map((b) => b.curPos!);
          const { terminated } = env.step(Actions.left);
          expect(terminated).toBe(false);
          env.obstacles.forEach((b, i) => {
            expect(Math.abs(b.curPos![0] - before[i][0])).toBeLessThanOrEqual(1);
            expect(Math.abs(b.curPos![1] - before[i][1])).toBeLessThanOrEqual(1);
          });
        }
      }
    }
  });

  it('5x5 seed 2: walking forward hits an obstacle (MiniGrid test_no_death_wrapper)', () => {
    const env = makeEnv('MiniGrid-Dynamic-Obstacles-5x5-v0') as DynamicObstaclesEnv;
    env.reset(2);
    expect(env.obstacles.map((b) => b.curPos)).toContainEqual([2, 1]); // spec §8.2: right in front of the agent
    expect(env.step(Actions.forward)).toMatchObject({ reward: -1, terminated: true });
  });

  it('forward into a wall is -1 and terminal; actions >= 3 act as left', () => {
    const env = makeEnv('MiniGrid-Dynamic-Obstacles-8x8-v0');
    env.reset(0);
    env.step(5);
    expect(env.agentDir).toBe(3);
    expect(env.step(Actions.forward)).toMatchObject({ reward: -1, terminated: true });
  });
});

describe('DoorKey', () => {
  it('a wall column holds one locked yellow door; key and agent are left of it', () => {
    for (const size of [5, 6, 8, 16]) {
      const env = makeEnv(`MiniGrid-DoorKey-${size}x${size}-v0`);
      for (const seed of SEEDS.slice(0, 50)) {
        env.reset(seed);
        const doors = objects(env).filter(({ obj }) => obj.type === 'door');
        expect(doors).toHaveLength(1);
        const { x: split, y: doorY, obj: door } = doors[0];
        expect(door.encode()).toEqual([4, 4, 2]);
        expect(split).toBeGreaterThanOrEqual(2);
        expect(split).toBeLessThan(size - 2);
        for (let y = 0; y < size; y++) if (y !== doorY) expect(typeAt(env, split, y)).toBe('wall');
        const keys = objects(env).filter(({ obj }) => obj.type === 'key');
        expect(keys).toHaveLength(1);
        expect(keys[0].obj.color).toBe('yellow');
        expect(keys[0].x).toBeLessThan(split);
        expect(env.agentPos[0]).toBeLessThan(split);
        expect(typeAt(env, size - 2, size - 2)).toBe('goal');
      }
    }
  });
});

describe('Empty', () => {
  it('fixed variants start at (1,1) facing east; random ones start on a free interior cell', () => {
    const fixed = makeEnv('MiniGrid-Empty-8x8-v0');
    fixed.reset(3);
    expect([fixed.agentPos, fixed.agentDir]).toEqual([[1, 1], 0]);
    const random = makeEnv('MiniGrid-Empty-Random-6x6-v0');
    const starts = new Set<string>();
    for (const seed of SEEDS.slice(0, 60)) {
      random.reset(seed);
      expect(random.grid.get(random.agentPos[0], random.agentPos[1])).toBeNull();
      starts.add(`${random.agentPos}/${random.agentDir}`);
    }
    expect(starts.size).toBeGreaterThan(5);
  });

  it('reaching the goal in 5x5 pays 1 - 0.9 * steps / 100', () => {
    const env = makeEnv('MiniGrid-Empty-5x5-v0');
    env.reset(0);
    const rs = [2, 2, 1, 2, 2].map((a) => env.step(a));
    expect(env.agentPos).toEqual([3, 3]);
    expect(rs[4]).toMatchObject({ reward: 1 - 0.9 * (5 / 100), terminated: true });
  });
});

describe('Crossing', () => {
  /** Whether the goal is reachable from (1,1) through non-obstacle cells. */
  const goalReachable = (env: MiniGridEnv): boolean => {
    const seen = new Set(['1,1']);
    const queue: [number, number][] = [[1, 1]];
    while (queue.length) {
      const [x, y] = queue.shift()!;
      if (typeAt(env, x, y) === 'goal') return true;
      for (const [dx, dy] of [
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ]) {
        const n = `${x + dx},${y + dy}`;
        const t = typeAt(env, x + dx, y + dy);
        if (!seen.has(n) && (t === null || t === 'goal')) {
          seen.add(n);
          queue.push([x + dx, y + dy]);
        }
      }
    }
    return false;
  };

  it('rivers leave a path to the goal on every seed', () => {
    for (const id of [
      'MiniGrid-LavaCrossingS9N2-v0',
      'MiniGrid-SimpleCrossingS9N3-v0',
      'MiniGrid-LavaCrossingS11N5-v0',
    ]) {
      const env = makeEnv(id);
      for (const seed of SEEDS.slice(0, 50)) {
        env.reset(seed);
        expect(goalReachable(env), `${id} seed ${seed}`).toBe(true);
        const interior = objects(env).filter(
          ({ x, y }) => x > 0 && y > 0 && x < env.width - 1 && y < env.height - 1,
        );
        const obstacleType = id.includes('Lava') ? 'lava' : 'wall';
        expect(
          interior.filter(({ obj }) => obj.type !== 'goal').every(({ obj }) => obj.type === obstacleType),
        ).toBe(true);
        expect(interior.length).toBeGreaterThan(env.width - 3);
      }
    }
  });

  it('LavaCrossingS9N1 seed 2: right then forward walks into lava (MiniGrid test_no_death_wrapper)', () => {
    const env = makeEnv('MiniGrid-LavaCrossingS9N1-v0');
    env.reset(2);
    // Spec §8.2: the river is the row y=2 with its opening at x=4.
    const row = Array.from({ length: 7 }, (_, i) => typeAt(env, i + 1, 2));
    expect(row).toEqual(['lava', 'lava', 'lava', null, 'lava', 'lava', 'lava']);
    env.step(Actions.right);
    expect(env.step(Actions.forward)).toMatchObject({ reward: 0, terminated: true });
  });
});

describe('RedBlueDoors', () => {
  it('doors sit in the inner room walls; opening red then blue succeeds, blue first fails', () => {
    const env = makeEnv('MiniGrid-RedBlueDoors-6x6-v0') as RedBlueDoorEnv;
    env.reset(1);
    const doors = objects(env).filter(({ obj }) => obj.type === 'door');
    expect(doors.map(({ x, obj }) => [x, obj.color]).sort()).toEqual([
      [3, 'red'],
      [8, 'blue'],
    ]);
    env.redDoor.isOpen = true;
    env.blueDoor.isOpen = true;
    const r = env.step(Actions.done);
    expect(r).toMatchObject({ reward: 1 - 0.9 * (1 / env.maxSteps), terminated: true });
    env.reset(1);
    env.blueDoor.isOpen = true;
    expect(env.step(Actions.done)).toMatchObject({ reward: 0, terminated: true });
  });
});

describe('MemoryEnv options', () => {
  it('rejects even or too small sizes', () => {
    const base = {
      maxSteps: 10,
      randomLength: false,
      randomStartPos: false,
      randomDirection: false,
      pickupActsAsToggle: false,
    };
    expect(() => new MemoryEnv({ ...base, size: 8 })).toThrow(/odd/);
    expect(() => new MemoryEnv({ ...base, size: 5 })).toThrow(/odd/);
    expect(
      () =>
        new DynamicObstaclesEnv({
          size: 8,
          nObstacles: 4,
          agentStartPos: null,
          agentStartDir: 0,
          maxSteps: -1,
        }),
    ).toThrow(/maxSteps/);
  });
});
