/**
 * The environment registry, like `gym.make` after DTI's `register_envs()`: every supported id
 * maps to a factory taking the `max_steps` override.
 */
import { DtlensError } from '../errors.ts';
import type { MiniGridEnv } from './core/miniGridEnv.ts';
import { CrossingEnv } from './envs/crossing.ts';
import { DoorKeyEnv } from './envs/doorKey.ts';
import { DynamicObstaclesEnv } from './envs/dynamicObstacles.ts';
import { EmptyEnv } from './envs/empty.ts';
import { MemoryEnv } from './envs/memory.ts';
import { RedBlueDoorEnv } from './envs/redBlueDoors.ts';

export interface MakeEnvOptions {
  /** Overrides the env's default `max_steps` (as `gym.make(id, max_steps=K)`). */
  maxSteps?: number;
}

type Factory = (maxSteps: number | undefined) => MiniGridEnv;

const memory = (size: number, randomLength: boolean): Factory => {
  return (maxSteps) =>
    new MemoryEnv({
      size,
      maxSteps: maxSteps ?? 5 * size * size,
      randomLength,
      randomStartPos: true,
      randomDirection: false,
      pickupActsAsToggle: true,
    });
};

const dtiMemory = (randomDirection: boolean): Factory => {
  return (maxSteps) =>
    new MemoryEnv({
      size: 7,
      maxSteps: maxSteps ?? 1000,
      randomLength: false,
      randomStartPos: randomDirection,
      randomDirection,
      pickupActsAsToggle: false,
    });
};

const dynamicObstacles = (size: number, nObstacles: number, randomStart: boolean): Factory => {
  return (maxSteps) =>
    new DynamicObstaclesEnv({
      size,
      nObstacles,
      agentStartPos: randomStart ? null : [1, 1],
      agentStartDir: 0,
      maxSteps,
    });
};

const REGISTRY: Record<string, Factory> = {
  // DTI's own (src/environments/registration.py); default max_steps 1000.
  'MiniGrid-MemoryS7FixedStart-v0': dtiMemory(false),
  'MiniGrid-MemoryS7RandomDirection-v0': dtiMemory(true),
  'MiniGrid-MemoryS7-v0': memory(7, false),
  'MiniGrid-MemoryS9-v0': memory(9, false),
  'MiniGrid-MemoryS11-v0': memory(11, false),
  'MiniGrid-MemoryS13-v0': memory(13, false),
  'MiniGrid-MemoryS13Random-v0': memory(13, true),
  'MiniGrid-MemoryS17Random-v0': memory(17, true),
  'MiniGrid-Dynamic-Obstacles-5x5-v0': dynamicObstacles(5, 2, false),
  'MiniGrid-Dynamic-Obstacles-Random-5x5-v0': dynamicObstacles(5, 2, true),
  'MiniGrid-Dynamic-Obstacles-6x6-v0': dynamicObstacles(6, 3, false),
  'MiniGrid-Dynamic-Obstacles-Random-6x6-v0': dynamicObstacles(6, 3, true),
  'MiniGrid-Dynamic-Obstacles-8x8-v0': dynamicObstacles(8, 4, false),
  'MiniGrid-Dynamic-Obstacles-16x16-v0': dynamicObstacles(16, 8, false),
  'MiniGrid-DoorKey-5x5-v0': (m) => new DoorKeyEnv(5, m),
  'MiniGrid-DoorKey-6x6-v0': (m) => new DoorKeyEnv(6, m),
  'MiniGrid-DoorKey-8x8-v0': (m) => new DoorKeyEnv(8, m),
  'MiniGrid-DoorKey-16x16-v0': (m) => new DoorKeyEnv(16, m),
  'MiniGrid-Empty-5x5-v0': (m) => new EmptyEnv(5, [1, 1], 0, m),
  'MiniGrid-Empty-Random-5x5-v0': (m) => new EmptyEnv(5, null, 0, m),
  'MiniGrid-Empty-6x6-v0': (m) => new EmptyEnv(6, [1, 1], 0, m),
  'MiniGrid-Empty-Random-6x6-v0': (m) => new EmptyEnv(6, null, 0, m),
  'MiniGrid-Empty-8x8-v0': (m) => new EmptyEnv(8, [1, 1], 0, m),
  'MiniGrid-Empty-16x16-v0': (m) => new EmptyEnv(16, [1, 1], 0, m),
  'MiniGrid-LavaCrossingS9N1-v0': (m) => new CrossingEnv(9, 1, 'lava', m),
  'MiniGrid-LavaCrossingS9N2-v0': (m) => new CrossingEnv(9, 2, 'lava', m),
  'MiniGrid-LavaCrossingS9N3-v0': (m) => new CrossingEnv(9, 3, 'lava', m),
  'MiniGrid-LavaCrossingS11N5-v0': (m) => new CrossingEnv(11, 5, 'lava', m),
  'MiniGrid-SimpleCrossingS9N1-v0': (m) => new CrossingEnv(9, 1, 'wall', m),
  'MiniGrid-SimpleCrossingS9N2-v0': (m) => new CrossingEnv(9, 2, 'wall', m),
  'MiniGrid-SimpleCrossingS9N3-v0': (m) => new CrossingEnv(9, 3, 'wall', m),
  'MiniGrid-SimpleCrossingS11N5-v0': (m) => new CrossingEnv(11, 5, 'wall', m),
  'MiniGrid-RedBlueDoors-6x6-v0': (m) => new RedBlueDoorEnv(6, m),
  'MiniGrid-RedBlueDoors-8x8-v0': (m) => new RedBlueDoorEnv(8, m),
};

/** Every registered env id. */
export function listEnvIds(): string[] {
  return Object.keys(REGISTRY);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The registered ids closest to `id` (case-insensitive edit distance), best first. */
export function closeEnvIds(id: string, count = 3): string[] {
  const key = id.toLowerCase();
  return listEnvIds()
    .map((candidate) => ({ candidate, d: editDistance(key, candidate.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, count)
    .map(({ candidate }) => candidate);
}

/** Creates the env registered as `id`; throws `BAD_ENV` naming close matches for unknown ids. */
export function makeEnv(id: string, options: MakeEnvOptions = {}): MiniGridEnv {
  const factory = Object.hasOwn(REGISTRY, id) ? REGISTRY[id] : undefined;
  if (factory === undefined) {
    throw new DtlensError(
      'BAD_ENV',
      `unknown environment '${id}'; did you mean ${closeEnvIds(id).join(', ')}?`,
    );
  }
  return factory(options.maxSteps);
}
