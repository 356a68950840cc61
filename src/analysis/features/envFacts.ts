/**
 * Facts about the environment at every step of recorded episodes, read from the env itself (not from
 * the model or from people): each episode of a dtlens dataset is replayed from its reset seed with its
 * actions, every observation checked against the recorded one, and the raw env's state read before
 * each action. These facts become probe labels (`probeLabels.ts`).
 */
import { DtlensError, check } from '../../errors.ts';
import { OBJECT_TO_IDX, makeDtiEnv } from '../../env/index.ts';
import { MemoryEnv } from '../../env/envs/memory.ts';
import type { Dataset, Episode } from '../../train/dataset.ts';

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
  const seed0 = dataset.source.seed;
  if (typeof seed0 !== 'number' || !Number.isInteger(seed0))
    throw new DtlensError(
      'UNSUPPORTED',
      'environment labels need a dataset from `dtlens collect` (its episodes are replayed from their seeds)',
    );
  const env = makeDtiEnv(dataset.env);
  let next = seed0;
  return dataset.episodes.map((episode, i) => {
    for (let seed = next; seed < next + MAX_SEED_SKIP; seed++) {
      const facts = replay(env, seed, episode);
      if (facts) {
        next = seed + 1;
        return facts;
      }
    }
    throw new DtlensError(
      'BAD_DATASET',
      `episode ${i} is not reproduced by any seed in ${next}..${next + MAX_SEED_SKIP - 1} of ${dataset.env.envId}`,
    );
  });
}

/** Replays one episode from `seed`; null when an observation differs from the recorded one. */
function replay(env: ReturnType<typeof makeDtiEnv>, seed: number, episode: Episode): EpisodeFacts | null {
  let obs = env.reset(seed);
  const cell = obs.image.length;
  check(
    episode.observations.length === cell * episode.actions.length,
    'BAD_DATASET',
    `the dataset's observations (${episode.observations.length / episode.actions.length} values) do not match ${cell} of the env`,
  );
  const raw = env.unwrapped;
  const instruction = raw instanceof MemoryEnv ? raw.startObj : null;
  const steps: StepFacts[] = [];
  for (let t = 0; t < episode.actions.length; t++) {
    const recorded = episode.observations.subarray(t * cell, (t + 1) * cell);
    for (let j = 0; j < cell; j++) if (obs.image[j] !== recorded[j]) return null;
    steps.push({
      agentX: raw.agentPos[0],
      agentY: raw.agentPos[1],
      agentDir: raw.agentDir,
      inView: objectsInView(raw.genObs().image),
    });
    const r = env.step(episode.actions[t]);
    if ((r.terminated || r.truncated) !== (t === episode.actions.length - 1)) return null;
    obs = r.obs;
  }
  return { seed, steps, instruction };
}

/** Which tracked objects a raw 3-channel view (`[x][y][object, colour, state]`) contains. */
function objectsInView(image: Uint8Array): Record<TrackedObject, boolean> {
  const seen = { key: false, ball: false, door: false };
  for (let i = 0; i < image.length; i += 3)
    for (const o of TRACKED_OBJECTS) if (image[i] === OBJECT_TO_IDX[o]) seen[o] = true;
  return seen;
}
