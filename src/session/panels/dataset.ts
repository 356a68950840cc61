/**
 * Dataset panels: the session's window dataset (`JobContext.dataset`), sampled here from the model's own
 * rollouts (seeds × target RTGs, greedy or epsilon) or loaded from a `dtlens dataset` file, and the
 * analyses over it (residual norms, kurtosis, head types), each a job with progress and cancel.
 */
import { kurtosisScan, residualNorms } from '../../analysis/scans/cacheStats.ts';
import { headTypes } from '../../analysis/scans/headTypes.ts';
import { type WindowDataset, windowsFromRollouts } from '../../analysis/scans/windowDataset.ts';
import { DtlensError } from '../../errors.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { JobContext, JobPanel, WindowContext } from './types.ts';

/** What the UI shows of a dataset (the windows stay in the worker). */
export interface DatasetSummary {
  windows: number;
  episodes: number;
  maxLen: number;
  envId: string;
  source: Record<string, unknown>;
}

export const summariseDataset = (ds: WindowDataset): DatasetSummary => ({
  windows: ds.inputs.states.shape[0],
  episodes: new Set(ds.episode).size,
  maxLen: ds.maxLen,
  envId: ds.env.envId,
  source: ds.source,
});

/** The session's dataset (of a job or window context), or a one-line BAD_INPUT saying how to get one. */
export function requireDataset(ctx: Pick<JobContext, 'dataset'> | WindowContext): WindowDataset {
  if (!ctx.dataset)
    throw new DtlensError(
      'BAD_INPUT',
      'no dataset in this session: sample one or load a dataset file in the “Dataset of windows” panel',
    );
  return ctx.dataset;
}

const caches = new WeakMap<DecisionTransformer, WeakMap<WindowDataset, Map<string, ActivationCache>>>();

/**
 * The dataset run through `model` with a cache of `hooks` only (the source of dataset means and
 * resampling), kept per model, dataset and hook set so that window panels do not rerun it on every step.
 */
export function datasetCache(
  model: DecisionTransformer,
  ds: WindowDataset,
  hooks: string[],
): ActivationCache {
  const byDataset = caches.get(model) ?? new WeakMap<WindowDataset, Map<string, ActivationCache>>();
  caches.set(model, byDataset);
  const byHooks = byDataset.get(ds) ?? new Map<string, ActivationCache>();
  byDataset.set(ds, byHooks);
  const key = [...hooks].sort().join(',');
  let cache = byHooks.get(key);
  if (!cache) {
    cache = model.run(ds.inputs, { cache: hooks }).cache!;
    byHooks.set(key, cache);
  }
  return cache;
}

const RTG_LIST = /^-?\d+(\.\d+)?(,-?\d+(\.\d+)?)*$/;

export const datasetPanel: JobPanel = {
  id: 'dataset',
  title: 'Dataset of windows',
  group: 'dataset',
  scope: 'job',
  help:
    'Samples the session’s dataset of windows: the model plays `episodes` seeds (from `seed`) at each target ' +
    'RTG, greedy or with random actions at rate epsilon, and every step’s window is kept (as `dtlens dataset ' +
    '--model`); or load a `dtlens dataset` file below. The dataset panels (norms, kurtosis, head types) run ' +
    'over it. Plays the model with the active weights variant.',
  params: {
    seed: { kind: 'int', default: 0, min: 0, max: 1_000_000 },
    episodes: { kind: 'int', default: 20, min: 1, max: 1000, label: 'episodes per RTG' },
    rtgs: { kind: 'text', default: '0,0.5,0.9', pattern: RTG_LIST, label: 'target RTGs' },
    epsilon: { kind: 'number', default: 0, min: 0, max: 1 },
    maxSteps: { kind: 'int', default: 100, min: 1, max: 10_000, label: 'step cap' },
  },
  async run(ctx, p, control) {
    const ds = await windowsFromRollouts(
      ctx.model,
      {
        env: ctx.episode.env,
        seed: p.seed as number,
        episodes: p.episodes as number,
        rtgs: (p.rtgs as string).split(',').map(Number),
        epsilon: p.epsilon as number,
        maxEpisodeSteps: p.maxSteps as number,
      },
      control,
    );
    ctx.keepDataset(ds);
    return summariseDataset(ds);
  },
};

export const datasetNormsPanel: JobPanel = {
  id: 'dataset-norms',
  title: 'Norms over the dataset',
  group: 'dataset',
  scope: 'job',
  help:
    'L2 norm of the residual stream (`hook_resid_pre/mid/post`) and of every component output (embed, ' +
    'pos_embed, each head’s z W_O, attn_out, mlp_out) by position, mean ± std over the session’s dataset ' +
    '(padding left out), as `dtlens analyze norms`. Uses the active weights variant.',
  params: { which: { kind: 'choice', default: 'states', choices: ['states', 'components'] } },
  run: (ctx, _p, control) => residualNorms(ctx.model, requireDataset(ctx), control),
};

export const datasetKurtosisPanel: JobPanel = {
  id: 'dataset-kurtosis',
  title: 'Kurtosis over the dataset',
  group: 'dataset',
  scope: 'job',
  help:
    'Excess kurtosis of a seeded sample of token vectors at every residual state, block output and MLP ' +
    '`hook_post` of the session’s dataset, in the standard basis and under random rotations: a basis is ' +
    'privileged when its kurtosis is above every rotation’s (`dtlens analyze kurtosis`). Uses the active ' +
    'weights variant.',
  params: {
    rotations: { kind: 'int', default: 8, min: 1, max: 64 },
    tokens: { kind: 'int', default: 1024, min: 16, max: 100_000 },
  },
  run: (ctx, p, control) =>
    kurtosisScan(
      ctx.model,
      requireDataset(ctx),
      { rotations: p.rotations as number, maxTokens: p.tokens as number },
      control,
    ),
};

export const datasetHeadTypesPanel: JobPanel = {
  id: 'dataset-head-types',
  title: 'Head types over the dataset',
  group: 'dataset',
  scope: 'job',
  help:
    'Attention mass (`hook_pattern`) from R, S and A queries to RTG, state and action tokens, the previous ' +
    'token, the same timestep and the first token, mean and std over the session’s dataset, and each ' +
    'head’s type (`dtlens analyze head-types`). Uses the active weights variant.',
  params: { threshold: { kind: 'number', default: 0.5, min: 0.05, max: 1 } },
  run: (ctx, p, control) =>
    headTypes(ctx.model, requireDataset(ctx), { threshold: p.threshold as number }, control),
};
