/**
 * A probe set: windows of recorded episodes (one per episode step, built exactly like training and
 * rollout windows by `writeWindow`) with labels that come from the environment (`envFacts.ts`) and
 * from the episode itself. A label is categorical: class names and one class index per window
 * (-1 where it is undefined, e.g. the action k steps ahead past the episode end).
 */
import { DtlensError, check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { sliceWindows } from '../../model/inputs.ts';
import type { Dataset } from '../../train/dataset.ts';
import { episodeReturn } from '../../train/dataset.ts';
import { returnsToGo } from '../../train/sampler.ts';
import { type WindowDataset, checkDatasetFits, windowsFromEpisodes } from '../scans/windowDataset.ts';
import { npRandom } from '../../env/index.ts';
import { actionName } from '../dynamic/logitDirection.ts';
import { type EpisodeFacts, TRACKED_OBJECTS, type TrackedObject, episodeFacts } from './envFacts.ts';

/** One categorical label over the windows of a probe set. */
export interface ProbeLabel {
  name: string;
  classes: string[];
  /** [N] class index per window, -1 = undefined for that window */
  values: Int32Array;
}

export interface ProbeSet {
  /** Windows (one per kept episode step). */
  n: number;
  /** The windows themselves, in episode and step order. */
  windows: WindowDataset;
  /** [N] episode index of each window (held-out splits are by episode). */
  episode: Int32Array;
  /** [N] the window's last step within its episode. */
  step: Int32Array;
  labels: ProbeLabel[];
  /** Model inputs of windows [start, end). */
  inputs(start: number, end: number): DTInputs;
}

/** The action taken at each window's last step (the `action+0` label; -1 where unknown). */
export function actionsTaken(set: ProbeSet): Int32Array {
  const label = set.labels.find((l) => l.name === 'action+0');
  check(label !== undefined, 'BAD_INPUT', 'the probe set has no action+0 label (the action taken)');
  return label.values;
}

/**
 * Label names: `instruction` (Memory: the start-room object), `key` / `ball` / `door` (in view, seen
 * earlier in the window = remembered, or not seen), `agent_x`, `agent_y`, `agent_dir`, `action+k`
 * (the action taken k steps after the window's last step; `action+0` is the one the model predicts),
 * `success` (the episode ends with a positive reward), `rtg` (the window's last RTG in quarter buckets).
 */
export const DEFAULT_LABELS = [
  'instruction',
  'key',
  'ball',
  'door',
  'agent_x',
  'agent_y',
  'agent_dir',
  'action+0',
  'action+2',
  'success',
  'rtg',
] as const;

export interface ProbeSetOptions {
  /** Timesteps per window (the model's `maxLen`). */
  maxLen: number;
  labels?: readonly string[];
  /** Keep at most this many windows (a seeded random subset, in dataset order). */
  maxWindows?: number;
  seed?: number;
  /** Check the windows against this model and its env id (a dataset of another model: BAD_DATASET). */
  fits?: { model: Pick<DecisionTransformer, 'arch' | 'maxLen'>; envId: string };
}

const VIEW_CLASSES = ['not seen', 'remembered', 'in view'];
const DIRECTIONS = ['east', 'south', 'west', 'north'];
/** Classes of the `rtg` label: the RTG in quarter buckets. */
export const RTG_BUCKETS = ['<0.25', '0.25-0.5', '0.5-0.75', '>=0.75'];
/** Class index of an RTG in `RTG_BUCKETS`. */
export const rtgBucket = (rtg: number): number => Math.min(3, Math.max(0, Math.floor(rtg * 4)));

/**
 * Builds the windows (`windowsFromEpisodes`) and labels of a dtlens-collected dataset (episodes replayed
 * for env facts). With `fits`, the windows are checked against the model first (`checkDatasetFits`).
 */
export function buildProbeSet(dataset: Dataset, options: ProbeSetOptions): ProbeSet {
  const { maxLen: T } = options;
  const names = options.labels ?? DEFAULT_LABELS;
  check(names.length > 0, 'BAD_INPUT', 'at least one label is needed');
  const all: [number, number][] = [];
  dataset.episodes.forEach((e, i) => e.actions.forEach((_, t) => all.push([i, t])));
  check(all.length > 0, 'BAD_DATASET', 'the dataset has no steps');
  const kept = new Set(subset(all, options.maxWindows, options.seed ?? 0).map(([i, t]) => `${i}/${t}`));
  const windows = windowsFromEpisodes(dataset, T, (i, t) => kept.has(`${i}/${t}`));
  if (options.fits) checkDatasetFits(options.fits.model, windows, options.fits.envId);
  const facts = episodeFacts(dataset);
  const rtgs = dataset.episodes.map((e) => returnsToGo(e.rewards));
  const { episode, step } = windows;
  return {
    n: episode.length,
    windows,
    episode,
    step,
    labels: names.map((name) => buildLabel(name, dataset, facts, rtgs, episode, step, T)),
    inputs: (start, end) => sliceWindows(windows.inputs, start, end),
  };
}

function buildLabel(
  name: string,
  dataset: Dataset,
  facts: EpisodeFacts[],
  rtgs: Float32Array[],
  episode: Int32Array,
  step: Int32Array,
  T: number,
): ProbeLabel {
  const fromFacts = factLabel(name, facts, { episode, step, maxLen: T, envId: dataset.env.envId });
  if (fromFacts) return fromFacts;
  const per = labelOver(name, episode, step);
  const ahead = /^action\+(\d+)$/.exec(name);
  if (ahead) {
    const k = Number(ahead[1]);
    const classes = Array.from({ length: dataset.nActions }, (_, a) => actionName(a));
    return per(classes, (e, t) => {
      const acts = dataset.episodes[e].actions;
      return t + k < acts.length ? acts[t + k] : -1;
    });
  }
  if (name === 'success')
    return per(['failure', 'success'], (e) => (episodeReturn(dataset.episodes[e]) > 0 ? 1 : 0));
  if (name === 'rtg') return per(RTG_BUCKETS, (e, t) => rtgBucket(rtgs[e][t]));
  throw new DtlensError(
    'BAD_INPUT',
    `unknown label "${name}"; labels: ${DEFAULT_LABELS.join(', ')} (action+k for any k)`,
  );
}

/** A label over windows (episode, last step): class names and each window's class from `f(e, t)`. */
const labelOver =
  (name: string, episode: Int32Array, step: Int32Array) =>
  (classes: string[], f: (e: number, t: number) => number): ProbeLabel => ({
    name,
    classes,
    values: Int32Array.from({ length: episode.length }, (_, i) => f(episode[i], step[i])),
  });

/** Labels read from env facts alone (`instruction`, `key` / `ball` / `door`, `agent_x|y|dir`). */
export const FACT_LABELS = ['instruction', ...TRACKED_OBJECTS, 'agent_x', 'agent_y', 'agent_dir'] as const;

/**
 * A label of `FACT_LABELS` over windows of `maxLen` steps (window i ends at step `step[i]` of episode
 * `episode[i]`; `facts` by episode index), or null for other names. `instruction` exists only in Memory
 * envs (BAD_INPUT naming `envId` elsewhere).
 */
export function factLabel(
  name: string,
  facts: readonly EpisodeFacts[],
  w: { episode: Int32Array; step: Int32Array; maxLen: number; envId: string },
): ProbeLabel | null {
  const per = labelOver(name, w.episode, w.step);
  const at = (e: number, t: number) => facts[e].steps[t];
  if (name === 'instruction') {
    check(
      facts.every((f) => f.instruction !== null),
      'BAD_INPUT',
      `label "instruction" exists only for Memory envs, not ${w.envId}`,
    );
    return per(['key', 'ball'], (e) => (facts[e].instruction === 'key' ? 0 : 1));
  }
  if ((TRACKED_OBJECTS as readonly string[]).includes(name)) {
    const o = name as TrackedObject;
    return per(VIEW_CLASSES, (e, t) => {
      if (at(e, t).inView[o]) return 2;
      for (let s = Math.max(0, t - w.maxLen + 1); s < t; s++) if (at(e, s).inView[o]) return 1;
      return 0;
    });
  }
  if (name === 'agent_x' || name === 'agent_y') {
    const key = name === 'agent_x' ? 'agentX' : 'agentY';
    let max = 0;
    for (const f of facts) for (const s of f.steps) max = Math.max(max, s[key]);
    return per(
      Array.from({ length: max + 1 }, (_, i) => String(i)),
      (e, t) => at(e, t)[key],
    );
  }
  if (name === 'agent_dir') return per(DIRECTIONS, (e, t) => at(e, t).agentDir);
  return null;
}

/** At most `max` items, a seeded random subset kept in order. */
function subset<T>(items: T[], max: number | undefined, seed: number): T[] {
  if (max === undefined || items.length <= max) return items;
  check(Number.isInteger(max) && max > 0, 'BAD_INPUT', `max windows must be a positive integer, got ${max}`);
  const rng = npRandom(seed);
  const idx = items.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx
    .slice(0, max)
    .sort((a, b) => a - b)
    .map((i) => items[i]);
}
