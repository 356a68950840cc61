/**
 * Across training (issue 16): one analysis on every checkpoint of a training series loaded into the
 * session (`setSeries`, several files at once), against the training step, as `dtlens across-training`:
 * head composition (weights), head types over the session's dataset, or the probe sweep over episodes
 * of the scripted expert (the probes panel's collection).
 */
import { type PositionKind, POSITION_KINDS, selectHooks } from '../../analysis/features/activations.ts';
import {
  compositionAcrossTraining,
  headTypesAcrossTraining,
  probesAcrossTraining,
} from '../../analysis/features/acrossTraining.ts';
import { check } from '../../errors.ts';
import { requireDataset } from './dataset.ts';
import { expertProbeSet } from './features.ts';
import type { JobPanel } from './types.ts';

export const ACROSS_ANALYSES = ['composition', 'head-types', 'probes'] as const;

export const acrossTrainingPanel: JobPanel = {
  id: 'across-training',
  title: 'Across training (checkpoint series)',
  group: 'dataset',
  scope: 'job',
  help:
    'Load the checkpoints of one training run (`dtlens train --series-every`, one architecture; the step ' +
    'is each file’s recorded updates, else its order) and read one analysis against the training step, as ' +
    '`dtlens across-training`: Q/K/V composition scores of every head pair (weights W_Q, W_K, W_V, W_O; the ' +
    'pairs strongest at the last step), head types from attention mass (`hook_pattern`) over the session’s ' +
    'dataset, or the best held-out LDA probe accuracy per environment label (episodes of the scripted ' +
    'expert, as the probes panel). Every checkpoint uses the active weights variant.',
  params: {
    analysis: { kind: 'choice', default: 'composition', choices: [...ACROSS_ANALYSES] },
    episodes: { kind: 'int', default: 50, min: 4, max: 2000, label: 'episodes (probes)' },
    hooks: { kind: 'choice', default: 'residual', choices: ['residual', 'all'] },
    token: { kind: 'choice', default: 'S', choices: [...POSITION_KINDS] },
  },
  async run(ctx, p, control) {
    const series = ctx.series();
    check(
      series.length > 0,
      'BAD_INPUT',
      'no checkpoint series in this session: load the checkpoints of a training run in this panel first',
    );
    const analysis = p.analysis as (typeof ACROSS_ANALYSES)[number];
    if (analysis === 'composition') return { analysis, ...compositionAcrossTraining(series) };
    if (analysis === 'head-types')
      return { analysis, ...(await headTypesAcrossTraining(series, requireDataset(ctx), control)) };
    const first = series[0].model;
    const set = expertProbeSet(first, ctx.episode.env, p.episodes as number);
    const r = await probesAcrossTraining(
      series,
      set,
      selectHooks(first, p.hooks as string),
      p.token as PositionKind,
      {},
      control,
    );
    return { analysis, ...r, sweeps: r.sweeps.map(({ directions: _, ...sweep }) => sweep) };
  },
};
