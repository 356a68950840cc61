/**
 * Demonstrations from scripted experts (`env/experts`): `expert` (epsilon-random actions mixed in, and
 * on Memory envs a fraction of episodes walking to the wrong object), `random`, or `mixed` (per episode:
 * random with `randomFraction`, otherwise the expert, going wrong with `wrongFraction`). Episode i
 * resets the env with seed `seed + i`; policy randomness comes from one generator seeded with `seed`.
 * `memoryLayout` keeps only Memory episodes whose top far object is the given one (a curriculum's first
 * stage); seeds with the other layout are skipped, so episode i then uses the i-th matching seed.
 */
import { check } from '../errors.ts';
import type { EnvConfig } from '../config/config.ts';
import { expertFor, makeDtiEnv, npRandom } from '../env/index.ts';
import type { MemoryEnv } from '../env/envs/memory.ts';
import type { Dataset, Episode } from './dataset.ts';

export type CollectPolicy = 'expert' | 'random' | 'mixed';
export const COLLECT_POLICIES: readonly CollectPolicy[] = ['expert', 'random', 'mixed'];

/** Memory layouts by the object above the corridor end (`key-top`: key above, ball below). */
export type MemoryLayout = 'key-top' | 'ball-top';
export const MEMORY_LAYOUTS: readonly MemoryLayout[] = ['key-top', 'ball-top'];

export interface CollectOptions {
  env: EnvConfig;
  episodes: number;
  policy: CollectPolicy;
  /** Probability of a random action at each expert step. */
  epsilon: number;
  /** Memory envs: fraction of expert episodes that go to the wrong object. */
  wrongFraction: number;
  /** `mixed`: fraction of fully random episodes. */
  randomFraction: number;
  seed: number;
  /** Memory envs: keep only this layout. */
  memoryLayout?: MemoryLayout;
}

/** Seeds tried per requested episode before a layout filter gives up (each layout has probability 1/2). */
const MAX_SEEDS_PER_EPISODE = 64;

export function collectDemonstrations(o: CollectOptions, onEpisode?: (i: number) => void): Dataset {
  for (const [name, v] of [
    ['epsilon', o.epsilon],
    ['wrongFraction', o.wrongFraction],
    ['randomFraction', o.randomFraction],
  ] as const)
    check(v >= 0 && v <= 1, 'BAD_INPUT', `${name} must be in [0, 1], got ${v}`);
  const env = makeDtiEnv(o.env);
  const isMemory = /Memory/.test(o.env.envId);
  check(o.wrongFraction === 0 || isMemory, 'BAD_INPUT', 'wrong-object episodes exist only for Memory envs');
  check(!o.memoryLayout || isMemory, 'BAD_INPUT', 'a layout filter applies only to Memory envs');
  const topObject = o.memoryLayout === 'ball-top' ? 'ball' : 'key';
  const hasLayout = () => !o.memoryLayout || (env.unwrapped as MemoryEnv).otherObjs[0] === topObject;
  const rng = npRandom(o.seed);
  const right = o.policy === 'random' ? null : expertFor(o.env.envId, { epsilon: o.epsilon });
  const wrong =
    isMemory && o.policy !== 'random' ? expertFor(o.env.envId, { epsilon: o.epsilon, goWrong: true }) : null;
  const episodes: Episode[] = [];
  let seed = o.seed;
  for (let i = 0; i < o.episodes; i++) {
    let obs = env.reset(seed++);
    while (!hasLayout()) {
      check(
        seed - o.seed < MAX_SEEDS_PER_EPISODE * o.episodes,
        'BAD_INPUT',
        `no ${o.memoryLayout} layout among seeds ${o.seed}..${seed - 1}`,
      );
      obs = env.reset(seed++);
    }
    const random = o.policy === 'random' || (o.policy === 'mixed' && rng.random() < o.randomFraction);
    const goWrong = !random && wrong !== null && rng.random() < o.wrongFraction;
    const policy = random ? null : goWrong ? wrong : right;
    const frames: Uint8Array[] = [];
    const actions: number[] = [];
    const rewards: number[] = [];
    for (;;) {
      const action = policy ? policy(env.snapshot(), rng) : rng.integers(0, env.nActions);
      frames.push(obs.image.slice());
      actions.push(action);
      const step = env.step(action);
      rewards.push(step.reward);
      obs = step.obs;
      if (step.terminated || step.truncated) {
        const cell = frames[0].length;
        const observations = new Uint8Array(frames.length * cell);
        frames.forEach((f, t) => observations.set(f, t * cell));
        episodes.push({
          observations,
          actions: Int32Array.from(actions),
          rewards: Float32Array.from(rewards),
          terminated: step.terminated,
          truncated: step.truncated && !step.terminated,
        });
        break;
      }
    }
    onEpisode?.(i);
  }
  const first = env.reset(o.seed);
  return {
    env: o.env,
    nActions: env.nActions,
    obsShape: first.shape,
    episodes,
    source: {
      collector: 'dtlens collect',
      policy: o.policy,
      epsilon: o.epsilon,
      wrong_fraction: o.wrongFraction,
      random_fraction: o.randomFraction,
      seed: o.seed,
      episodes: o.episodes,
      ...(o.memoryLayout ? { memory_layout: o.memoryLayout } : {}),
    },
  };
}
