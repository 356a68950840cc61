/**
 * Labelled windows for the causal analyses that need many inputs (dataset-mean steering vectors, causal
 * scrubbing), each with the input features a hypothesis can name: every window the model sees while it
 * plays `seeds` greedily (`playEpisodes`), or every window of a window dataset (the scans' datasets, the
 * app's session dataset), its features read by replaying the episodes (`windowFacts`).
 */
import { MemoryEnv } from '../../env/envs/memory.ts';
import { windowFacts } from '../features/envFacts.ts';
import { sliceWindows } from '../../model/inputs.ts';
import type { WindowDataset } from '../scans/windowDataset.ts';
import type { EnvConfig } from '../../config/config.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { playEpisodes } from '../../train/rollout.ts';

/** Input features of one window. */
export interface WindowFeatures {
  /** Memory envs: the start-room (instruction) object; '' elsewhere. */
  instruction: string;
  /** Memory envs: which far object is on top ("key/ball"); '' elsewhere. */
  layout: string;
  /** Step of the episode the window ends at. */
  step: number;
  /** The last action taken before the window's last state (-1 at step 0). */
  lastAction: number;
  /** The RTG of the window's last timestep (rounded to 1e-6). */
  rtg: number;
  seed: number;
}

export const FEATURE_NAMES = ['instruction', 'layout', 'step', 'lastAction', 'rtg', 'seed'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export interface WindowSet {
  /** [N, T, ...] windows, all of the model's full length */
  inputs: DTInputs;
  features: WindowFeatures[];
}

export interface WindowSetOptions {
  env: EnvConfig;
  seeds: readonly number[];
  targetRtg: number;
  maxEpisodeSteps?: number;
}

/** Concatenates batches of windows (same T and observation shape). */
function concatInputs(parts: DTInputs[]): DTInputs {
  const cat = <A extends Float32Array | Int32Array>(arrays: A[], make: (n: number) => A): A => {
    const out = make(arrays.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of arrays) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
  const [, ...rest] = parts[0].states.shape;
  const N = parts.reduce((a, p) => a + p.states.shape[0], 0);
  return {
    states: new Tensor(
      cat(
        parts.map((p) => p.states.data),
        (n) => new Float32Array(n),
      ),
      [N, ...rest],
    ),
    actions: cat(
      parts.map((p) => p.actions!),
      (n) => new Int32Array(n),
    ),
    rtgs: cat(
      parts.map((p) => p.rtgs),
      (n) => new Float32Array(n),
    ),
    timesteps: cat(
      parts.map((p) => Int32Array.from(p.timesteps)),
      (n) => new Int32Array(n),
    ),
  };
}

/** Every window of the model's greedy episodes on `seeds`, with its features. */
export function labelledWindowsFromRollouts(model: DecisionTransformer, o: WindowSetOptions): WindowSet {
  const parts: DTInputs[] = [];
  const features: WindowFeatures[] = [];
  const envs = o.seeds.map((seed) => {
    const env = new Map<string, string>();
    return { seed, env };
  });
  const T = model.maxLen;
  const pad = model.arch.nActions;
  playEpisodes(model, {
    env: o.env,
    seeds: o.seeds,
    targetRtg: o.targetRtg,
    maxEpisodeSteps: o.maxEpisodeSteps,
    observe: (episodes, inputs, step) => {
      parts.push(inputs);
      const Ta = inputs.actions!.length / episodes.length;
      episodes.forEach((e, b) => {
        const last = Ta > 0 ? inputs.actions![b * Ta + Ta - 1] : pad;
        features.push({
          instruction: envs[e].env.get('instruction') ?? '',
          layout: envs[e].env.get('layout') ?? '',
          step,
          lastAction: last === pad ? -1 : last,
          rtg: Math.round(inputs.rtgs[b * T + T - 1] * 1e6) / 1e6,
          seed: envs[e].seed,
        });
      });
    },
    onReset: (i, env) => {
      const raw = env.unwrapped;
      if (raw instanceof MemoryEnv) {
        envs[i].env.set('instruction', raw.startObj);
        envs[i].env.set('layout', raw.otherObjs.join('/'));
      }
    },
  });
  return { inputs: concatInputs(parts), features };
}

/**
 * Every window of a window dataset with its features: instruction and layout from each episode's replay
 * (`windowFacts`; '' outside Memory envs), the last action token (-1 for the pad action), the
 * last RTG and the episode's seed. Needs a replayable dataset (rollouts or collected episodes).
 */
export function labelledWindowsFromDataset(ds: WindowDataset): WindowSet {
  const facts = windowFacts(ds);
  const T = ds.maxLen;
  const { actions, rtgs } = ds.inputs;
  const features = Array.from(ds.episode, (e, i): WindowFeatures => {
    const last = actions![(i + 1) * (T - 1) - 1];
    return {
      instruction: facts[e].instruction ?? '',
      layout: facts[e].layout ?? '',
      step: ds.step[i],
      lastAction: last === ds.nActions ? -1 : last,
      rtg: Math.round(rtgs[(i + 1) * T - 1] * 1e6) / 1e6,
      seed: facts[e].seed,
    };
  });
  return { inputs: sliceWindows(ds.inputs, 0, ds.episode.length), features };
}
