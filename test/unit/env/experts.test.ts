import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { expertFor, type ExpertOptions } from '../../../src/env/experts/index.ts';
import { makeEnv, npRandom } from '../../../src/env/index.ts';

interface Episode {
  actions: number[];
  reward: number;
  terminated: boolean;
  finalPos: readonly [number, number];
}

/** Plays one episode of `envId` from `seed` with its expert (rng for epsilon seeded 1000 + seed). */
function play(envId: string, seed: number, options: ExpertOptions = {}): Episode {
  const env = makeEnv(envId);
  const policy = expertFor(envId, options);
  const rng = npRandom(1000 + seed);
  env.reset(seed);
  const actions: number[] = [];
  for (;;) {
    const action = policy(env.snapshot(), rng);
    actions.push(action);
    const r = env.step(action);
    if (r.terminated || r.truncated) {
      return { actions, reward: r.reward, terminated: r.terminated, finalPos: env.snapshot().agentPos };
    }
  }
}

const seeds = (n: number) => Array.from({ length: n }, (_, i) => i);
const successRate = (envId: string, n: number, options: ExpertOptions = {}) =>
  seeds(n).filter((s) => {
    const ep = play(envId, s, options);
    return ep.terminated && ep.reward > 0;
  }).length / n;

describe('memory expert', () => {
  it('takes the optimal seed-0 path of minigrid_spec.md §3.1 ([2,2,2,2,1,2], reward 0.9946)', () => {
    const ep = play('MiniGrid-MemoryS7FixedStart-v0', 0);
    expect(ep.actions).toEqual([2, 2, 2, 2, 1, 2]);
    expect(ep.reward).toBeCloseTo(0.9946, 12);
  });

  it.each([
    ['MiniGrid-MemoryS7FixedStart-v0', 200],
    ['MiniGrid-MemoryS7RandomDirection-v0', 200],
    ['MiniGrid-MemoryS7-v0', 100],
    ['MiniGrid-MemoryS13Random-v0', 50],
  ])('%s: succeeds from every one of %i seeds', (envId, n) => {
    expect(successRate(envId, n)).toBe(1);
  });

  it('with goWrong always ends on the failure cell with reward 0, in the same number of steps', () => {
    for (const seed of seeds(200)) {
      const right = play('MiniGrid-MemoryS7FixedStart-v0', seed);
      const wrong = play('MiniGrid-MemoryS7FixedStart-v0', seed, { goWrong: true });
      expect(wrong.terminated).toBe(true);
      expect(wrong.reward).toBe(0);
      expect(wrong.finalPos[0]).toBe(5);
      expect(wrong.finalPos[1]).toBe(6 - right.finalPos[1]); // (5,2) <-> (5,4)
      expect(wrong.actions.length).toBe(right.actions.length);
    }
  });
});

describe('goal-seeking experts', () => {
  it.each([
    ['MiniGrid-DoorKey-8x8-v0', 200],
    ['MiniGrid-DoorKey-5x5-v0', 100],
    ['MiniGrid-DoorKey-16x16-v0', 30],
    ['MiniGrid-Empty-8x8-v0', 20],
    ['MiniGrid-Empty-Random-6x6-v0', 200],
    ['MiniGrid-LavaCrossingS9N2-v0', 100],
    ['MiniGrid-SimpleCrossingS9N3-v0', 100],
  ])('%s: succeeds from every one of %i seeds', (envId, n) => {
    expect(successRate(envId, n)).toBe(1);
  });

  it('Empty-8x8: takes the 11-step shortest path (reward 1 - 0.9*11/256)', () => {
    const ep = play('MiniGrid-Empty-8x8-v0', 0);
    expect(ep.actions.length).toBe(11); // (1,1) -> (6,6): 5 east, turn, 5 south
    expect(ep.reward).toBe(1 - 0.9 * (11 / 256));
  });

  it('DoorKey-8x8: picks up the key once and toggles the door once', () => {
    for (const seed of seeds(50)) {
      const { actions } = play('MiniGrid-DoorKey-8x8-v0', seed);
      expect(actions.filter((a) => a === 3)).toHaveLength(1);
      expect(actions.filter((a) => a === 5)).toHaveLength(1);
      expect(actions.indexOf(3)).toBeLessThan(actions.indexOf(5));
    }
  });

  it('Dynamic-Obstacles-8x8: reaches the goal from at least 90% of 200 seeds and never collides', () => {
    const eps = seeds(200).map((s) => play('MiniGrid-Dynamic-Obstacles-8x8-v0', s));
    expect(eps.filter((e) => e.terminated && e.reward > 0).length / 200).toBeGreaterThanOrEqual(0.9);
    expect(eps.filter((e) => e.reward < 0)).toHaveLength(0);
  });
});

describe('experts with random actions mixed in', () => {
  it('DoorKey-8x8 (no failure state, only time-outs) still succeeds from every seed at epsilon 0.1', () => {
    expect(successRate('MiniGrid-DoorKey-8x8-v0', 150, { epsilon: 0.1 })).toBe(1);
  });

  it('Memory never gets stuck at epsilon 0.3: every episode ends on one of the two end cells', () => {
    for (const seed of seeds(200)) {
      const ep = play('MiniGrid-MemoryS7FixedStart-v0', seed, { epsilon: 0.3 });
      expect(ep.terminated).toBe(true);
      expect([2, 4]).toContain(ep.finalPos[1]);
    }
  });
});

describe('expertFor', () => {
  it('with epsilon 1 takes numpy-style uniform actions over the env action space', () => {
    const policy = expertFor('MiniGrid-Dynamic-Obstacles-8x8-v0', { epsilon: 1 });
    const env = makeEnv('MiniGrid-Dynamic-Obstacles-8x8-v0');
    env.reset(0);
    const rng = npRandom(7);
    const twin = npRandom(7);
    const actions = seeds(300).map(() => policy(env.snapshot(), rng));
    expect(actions).toEqual(seeds(300).map(() => (twin.random(), twin.integers(0, 3))));
    expect(new Set(actions)).toEqual(new Set([0, 1, 2]));
  });

  it('with epsilon 0 draws nothing from the rng', () => {
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0');
    env.reset(3);
    const rng = { random: () => Number.NaN, integers: () => Number.NaN };
    expect(expertFor('MiniGrid-MemoryS7FixedStart-v0')(env.snapshot(), rng)).toBe(2);
  });

  it('rejects unknown envs, goWrong outside Memory and epsilon outside [0, 1]', () => {
    expect(() => expertFor('MiniGrid-Nope-v0')).toThrow(DtlensError);
    expect(() => expertFor('MiniGrid-DoorKey-8x8-v0', { goWrong: true })).toThrow(DtlensError);
    expect(() => expertFor('MiniGrid-Empty-8x8-v0', { epsilon: 1.5 })).toThrow(DtlensError);
    expect(() => expertFor('MiniGrid-Empty-8x8-v0', { epsilon: Number.NaN })).toThrow(DtlensError);
  });
});
