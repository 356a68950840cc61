/**
 * Facts about the environment at every step of recorded episodes, read from the env itself (not from
 * the model or from people): each episode of a dtlens dataset (or window dataset) is replayed from its
 * reset seed with its actions, every observation checked against the recorded one, and the raw env's
 * state read before each action. These facts become probe labels (`probeSet.ts`, `windowLabels.ts`).
 */
import { DtlensError, check } from '../../errors.ts';
import { OBJECT_TO_IDX, makeDtiEnv } from '../../env/index.ts';
import { MemoryEnv } from '../../env/envs/memory.ts';
import type { Dataset } from '../../train/dataset.ts';
import type { WindowDataset } from '../scans/windowDataset.ts';

/** Objects whose visibility is tracked. */
export const TRACKED_OBJECTS = ['key', 'ball', 'door'] as const;
export type TrackedObject = (typeof TRACKED_OBJECTS)[number];

/** Env state before the action of one step. */
export interface StepFacts {
  agentX: number;
  agentY: number;
  /** 0 east, 1 south, 2 west, 3 north (MiniGrid) */
  agentDir: number;
  /** Tracked objects visible in the agent's view at this step. */
  inView: Record<TrackedObject, boolean>;
}

/** Facts of one episode: per-step facts plus episode-level ones. */
export interface EpisodeFacts {
  seed: number;
  steps: StepFacts[];
  /** Memory envs: the start-room object the agent must match; null elsewhere. */
  instruction: 'key' | 'ball' | null;
  /** Memory envs: the far objects in order ("key/ball": key on top); null elsewhere. */
  layout: string | null;
}

/** Seeds tried past the expected one per episode (layout-filtered collections skip seeds). */
const MAX_SEED_SKIP = 256;

/**
 * Replays every episode of a dtlens-collected dataset (`source.seed`; episode i resets with the first
 * seed at or after the previous episode's seed + 1 whose replay reproduces every recorded observation).
 * Throws `UNSUPPORTED` for datasets without seeds (DTI trajectory files) and `BAD_DATASET` when an
 * episode cannot be reproduced.
 */
export function episodeFacts(dataset: Dataset): EpisodeFacts[] {
  const env = makeDtiEnv(dataset.env);
  const next = seedSearch(dataset.source.seed, dataset.env.envId);
  return dataset.episodes.map((e, i) =>
    next(i, (seed) => replay(env, seed, e.observations, e.actions, true)),
  );
}

/**
 * Env facts of every episode of a window dataset (`WindowDataset`: a window per episode step), indexed
 * by its episode index: each episode's observations are its windows' last states and its actions the
 * actions later windows hold. Rollout datasets replay episode e from seed `seed + e mod episodes`
 * (`windowsFromRollouts`), datasets of collected episodes search seeds as `episodeFacts`.
 */
export function windowFacts(ds: WindowDataset): EpisodeFacts[] {
  const { episode, step, maxLen: T } = ds;
  const cell = ds.obsShape[0] * ds.obsShape[1] * ds.obsShape[2];
  const states = ds.inputs.states.data;
  const actions = ds.inputs.actions;
  check(actions !== null, 'UNSUPPORTED', 'window datasets without action tokens cannot be replayed');
  const env = makeDtiEnv(ds.env);
  const rollouts = ds.source.kind === 'rollouts';
  const next = seedSearch(ds.source.seed, ds.env.envId);
  const facts: EpisodeFacts[] = [];
  for (let i = 0; i < episode.length;) {
    let j = i;
    while (j < episode.length && episode[j] === episode[i]) j++;
    const e = episode[i];
    check(
      step[i] === 0 && step[j - 1] === j - 1 - i,
      'BAD_DATASET',
      `episode ${e} of the dataset does not hold a window for every step`,
    );
    // Step s's observation is window (i + s)'s last state; the action after it, window (i + s + 1)'s last action.
    const observations = new Float32Array((j - i) * cell);
    for (let s = 0; s < j - i; s++)
      observations.set(states.subarray(((i + s) * T + T - 1) * cell, ((i + s) * T + T) * cell), s * cell);
    const taken = Int32Array.from({ length: j - i - 1 }, (_, s) => actions[(i + s + 2) * (T - 1) - 1]);
    const play = (seed: number) => replay(env, seed, observations, taken, false);
    facts[e] = rollouts ? rolloutFacts(e, play, ds) : next(e, play);
    i = j;
  }
  return facts;
}

/** The first seed (from `seed0`, in dataset order) reproducing each episode, as `episodeFacts` searches. */
function seedSearch(seed0: unknown, envId: string) {
  if (typeof seed0 !== 'number' || !Number.isInteger(seed0))
    throw new DtlensError(
      'UNSUPPORTED',
      'environment labels need a dataset from `dtlens collect` or rollouts (its episodes are replayed from their seeds)',
    );
  let next = seed0;
  return (i: number, play: (seed: number) => EpisodeFacts | null): EpisodeFacts => {
    for (let seed = next; seed < next + MAX_SEED_SKIP; seed++) {
      const facts = play(seed);
      if (facts) {
        next = seed + 1;
        return facts;
      }
    }
    throw new DtlensError(
      'BAD_DATASET',
      `episode ${i} is not reproduced by any seed in ${next}..${next + MAX_SEED_SKIP - 1} of ${envId}`,
    );
  };
}

/** Facts of rollout episode e, replayed from its own seed (`windowsFromRollouts`: seed + e mod episodes). */
function rolloutFacts(
  e: number,
  play: (seed: number) => EpisodeFacts | null,
  ds: WindowDataset,
): EpisodeFacts {
  const { seed, episodes } = ds.source;
  check(
    typeof seed === 'number' && typeof episodes === 'number' && episodes > 0,
    'BAD_DATASET',
    'a rollout dataset must record its first seed and its episodes per RTG',
  );
  const facts = play(seed + (e % episodes));
  check(
    facts !== null,
    'BAD_DATASET',
    () => `rollout episode ${e} is not reproduced by its seed ${seed + (e % episodes)}`,
  );
  return facts;
}

/**
 * Replays one episode from `seed`: `observations` [S * cell] the recorded observation of each step,
 * `actions` the actions after them (S of a `complete` episode, whose last must end it; S − 1 otherwise).
 * Null when an observation (or a complete episode's end) differs from the record.
 */
function replay(
  env: ReturnType<typeof makeDtiEnv>,
  seed: number,
  observations: ArrayLike<number>,
  actions: ArrayLike<number>,
  complete: boolean,
): EpisodeFacts | null {
  let obs = env.reset(seed);
  const cell = obs.image.length;
  const S = observations.length / cell;
  check(
    Number.isInteger(S) && S === actions.length + (complete ? 0 : 1),
    'BAD_DATASET',
    `the dataset's observations (${observations.length / Math.max(1, actions.length)} values a step) do not match ${cell} of the env`,
  );
  const raw = env.unwrapped;
  const memory = raw instanceof MemoryEnv ? raw : null;
  const steps: StepFacts[] = [];
  for (let t = 0; t < S; t++) {
    for (let j = 0; j < cell; j++) if (obs.image[j] !== observations[t * cell + j]) return null;
    steps.push({
      agentX: raw.agentPos[0],
      agentY: raw.agentPos[1],
      agentDir: raw.agentDir,
      inView: objectsInView(raw.genObs().image),
    });
    if (t === actions.length) break;
    const r = env.step(actions[t]);
    if (complete && (r.terminated || r.truncated) !== (t === actions.length - 1)) return null;
    obs = r.obs;
  }
  return {
    seed,
    steps,
    instruction: memory ? memory.startObj : null,
    layout: memory ? memory.otherObjs.join('/') : null,
  };
}

/** Which tracked objects a raw 3-channel view (`[x][y][object, colour, state]`) contains. */
function objectsInView(image: Uint8Array): Record<TrackedObject, boolean> {
  const seen = { key: false, ball: false, door: false };
  for (let i = 0; i < image.length; i += 3)
    for (const o of TRACKED_OBJECTS) if (image[i] === OBJECT_TO_IDX[o]) seen[o] = true;
  return seen;
}
