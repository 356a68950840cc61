/**
 * Scripted experts for MiniGrid envs: pure policies `(snapshot, rng) -> action`, for demonstrations.
 * `expertFor(envId, options)` picks the expert of an env id and mixes in epsilon-random actions.
 */
import { check, DtlensError } from '../../errors.ts';
import type { EnvSnapshot } from '../snapshot.ts';
import { doorKeyExpert } from './doorKey.ts';
import { goalExpert } from './goal.ts';
import { memoryExpert } from './memory.ts';
import type { ExpertPolicy, ExpertRng } from './types.ts';

export type { ExpertPolicy, ExpertRng } from './types.ts';
export { doorKeyExpert, goalExpert, memoryExpert };

export interface ExpertOptions {
  /** Probability of a uniformly random action instead of the expert's (default 0: no rng draws). */
  epsilon?: number;
  /** Memory envs only: go to the non-matching object (the demonstration fails). */
  goWrong?: boolean;
}

interface ExpertKind {
  pattern: RegExp;
  /** Size of the env's action space, for random actions. */
  nActions: number;
  /** Whether `goWrong` means something here. */
  canGoWrong: boolean;
  make: (options: ExpertOptions) => (s: EnvSnapshot) => number;
}

const KINDS: readonly ExpertKind[] = [
  {
    pattern: /^MiniGrid-Memory/,
    nActions: 7,
    canGoWrong: true,
    make: (o) => memoryExpert({ goWrong: o.goWrong }),
  },
  { pattern: /^MiniGrid-Dynamic-Obstacles-/, nActions: 3, canGoWrong: false, make: () => goalExpert },
  { pattern: /^MiniGrid-DoorKey-/, nActions: 7, canGoWrong: false, make: () => doorKeyExpert },
  { pattern: /^MiniGrid-Empty-/, nActions: 7, canGoWrong: false, make: () => goalExpert },
  { pattern: /^MiniGrid-(Lava|Simple)Crossing/, nActions: 7, canGoWrong: false, make: () => goalExpert },
];

/** Wraps a policy so that with probability `epsilon` it takes a uniform action in [0, nActions). */
export function withEpsilon(
  policy: (s: EnvSnapshot) => number,
  epsilon: number,
  nActions: number,
): ExpertPolicy {
  check(epsilon >= 0 && epsilon <= 1, 'BAD_INPUT', `epsilon must be in [0, 1], got ${epsilon}`);
  if (epsilon === 0) return (s) => policy(s);
  return (s, rng: ExpertRng) => (rng.random() < epsilon ? rng.integers(0, nActions) : policy(s));
}

/** The scripted expert of a MiniGrid env id (Memory*, Dynamic-Obstacles-*, DoorKey-*, Empty-*, *Crossing*). */
export function expertFor(envId: string, options: ExpertOptions = {}): ExpertPolicy {
  const kind = KINDS.find((k) => k.pattern.test(envId));
  if (!kind) {
    throw new DtlensError(
      'BAD_ENV',
      `no scripted expert for ${envId} (have: Memory, Dynamic-Obstacles, DoorKey, Empty, Lava/SimpleCrossing)`,
    );
  }
  check(
    !options.goWrong || kind.pattern.source.includes('Memory'),
    'BAD_INPUT',
    'goWrong applies to Memory envs only',
  );
  return withEpsilon(kind.make(options), options.epsilon ?? 0, kind.nActions);
}
