/**
 * Demonstrations from scripted experts (`env/experts`): `expert` (epsilon-random actions mixed in, and
 * on Memory envs a fraction of episodes walking to the wrong object), `random`, or `mixed` (per episode:
 * random with `randomFraction`, otherwise the expert, going wrong with `wrongFraction`). Episode i
 * resets the env with seed `seed + i`; policy randomness comes from one generator seeded with `seed`.
 */
import { check } from '../errors.ts';
import type { EnvConfig } from '../model/config.ts';
import { expertFor, makeDtiEnv, npRandom } from '../env/index.ts';
import type { Dataset, Episode } from './dataset.ts';

export type CollectPolicy = 'expert' | 'random' | 'mixed';
export const COLLECT_POLICIES: readonly CollectPolicy[] = ['expert', 'random', 'mixed'];

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
}

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
  const rng = npRandom(o.seed);
  const right = o.policy === 'random' ? null : expertFor(o.env.envId, { epsilon: o.epsilon });
  const wrong =
    isMemory && o.policy !== 'random' ? expertFor(o.env.envId, { epsilon: o.epsilon, goWrong: true }) : null;
  const episodes: Episode[] = [];
  for (let i = 0; i < o.episodes; i++) {
    const random = o.policy === 'random' || (o.policy === 'mixed' && rng.random() < o.randomFraction);
    const goWrong = !random && wrong !== null && rng.random() < o.wrongFraction;
    const policy = random ? null : goWrong ? wrong : right;
    let obs = env.reset(o.seed + i);
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
    },
  };
}
