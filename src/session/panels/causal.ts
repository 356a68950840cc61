/**
 * Causal panels: activation patching (a job: every sweep of TransformerLens 1.2.2 and DTI, noise or
 * denoise, any metric), counterfactual attention and ablation (one window each). The corruption
 * settings are shared: one token variation of the current window (`corruptWindow`).
 */
import {
  type AblationMethod,
  type AblationSpec,
  ablate,
  ablationInterventions,
  parseComponents,
} from '../../analysis/causal/ablation.ts';
import { counterfactualAttention } from '../../analysis/causal/counterfactualAttention.ts';
import { METRIC_KINDS, type MetricSpec } from '../../analysis/causal/metrics.ts';
import {
  PATCH_MODES,
  PATCH_SWEEPS,
  type PatchMode,
  type PatchSweepKind,
  type PatchingResult,
  activationPatching,
  patchPair,
} from '../../analysis/causal/patching.ts';
import { type Variation, corruptWindow } from '../../analysis/causal/variations.ts';
import { DtlensError } from '../../errors.ts';
import { OBJECT_NAMES } from '../../env/core/constants.ts';
import { ONE_HOT_CHANNELS } from '../../env/wrappers/oneHot.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { ParamSchema, ParamValues } from '../params.ts';
import { datasetCache, requireDataset } from './dataset.ts';
import { DIRECTION_PARAMS, direction } from './dynamic.ts';
import type { JobPanel, WindowPanel } from './types.ts';

const VARIATIONS = ['state', 'all-rtg', 'rtg', 'action', 'timestep-shift', 'timestep'] as const;

/** One token variation of the current window (DTI's "Patch by" plus timesteps). */
export const CORRUPTION_PARAMS: ParamSchema = {
  corruption: { kind: 'choice', default: 'state', choices: VARIATIONS, label: 'corrupt' },
  step: {
    kind: 'int',
    default: -1,
    min: -64,
    max: 63,
    label: 'step (−1 = newest)',
    shownWhen: { corruption: ['state', 'rtg', 'action', 'timestep'] },
  },
  x: { kind: 'int', default: 2, min: 0, max: 63, shownWhen: { corruption: ['state'] } },
  y: { kind: 'int', default: 6, min: 0, max: 63, shownWhen: { corruption: ['state'] } },
  object: { kind: 'choice', default: 'ball', choices: OBJECT_NAMES, shownWhen: { corruption: ['state'] } },
  value: {
    kind: 'number',
    default: 0,
    label: 'RTG / timestep value',
    shownWhen: { corruption: ['all-rtg', 'rtg', 'timestep'] },
  },
  action: { kind: 'int', default: 1, min: 0, max: 63, shownWhen: { corruption: ['action'] } },
  shift: {
    kind: 'int',
    default: 1,
    min: -1000,
    max: 1000,
    label: 'timestep shift',
    shownWhen: { corruption: ['timestep-shift'] },
  },
};

/** The variation the corruption settings describe. */
export function variationOf(p: ParamValues): Variation {
  const step = p.step as number;
  switch (p.corruption) {
    case 'state':
      return {
        kind: 'state',
        edits: [{ step, x: p.x as number, y: p.y as number, object: p.object as string }],
      };
    case 'all-rtg':
      return { kind: 'all-rtg', value: p.value as number };
    case 'rtg':
      return { kind: 'rtg', step, value: p.value as number };
    case 'action':
      return { kind: 'action', step, action: p.action as number };
    case 'timestep-shift':
      return { kind: 'timestep', shift: p.shift as number };
    default:
      return { kind: 'timestep', step, value: p.value as number };
  }
}

/** The patching metric (`metrics.ts`); `positive` is the action of `action-prob`. */
export const METRIC_PARAMS: ParamSchema = {
  metric: { kind: 'choice', default: 'logit-diff', choices: METRIC_KINDS },
  neuron: {
    kind: 'text',
    default: 'L0N0',
    pattern: /^L\d+N\d+$/,
    label: 'neuron metric (L{l}N{n})',
    shownWhen: { metric: ['neuron'] },
  },
  positive: { ...DIRECTION_PARAMS.positive, shownWhen: { metric: ['logit-diff', 'rtg', 'action-prob'] } },
  negative: { ...DIRECTION_PARAMS.negative, shownWhen: { metric: ['logit-diff', 'rtg'] } },
};

/** The metric the metric settings describe. */
export function metricOf(p: ParamValues): MetricSpec {
  const [l, n] = (p.neuron as string).slice(1).split('N').map(Number);
  return p.metric === 'action-prob'
    ? { kind: 'action-prob', action: p.positive as number }
    : p.metric === 'neuron'
      ? { kind: 'neuron', layer: l, neuron: n }
      : p.metric === 'kl'
        ? { kind: 'kl' }
        : { kind: p.metric as 'logit-diff' | 'rtg', direction: direction(p) };
}

/** The corrupted window of the current one (also what the app's "Export pair" writes). */
export function corrupt(model: DecisionTransformer, inputs: DTInputs, p: ParamValues) {
  return corruptWindow(inputs, [variationOf(p)], {
    nActions: model.arch.nActions,
    maxTimestep: model.maxTimestep,
  });
}

/** The clean/corrupted pair of the current window under the corruption settings, both runs cached. */
export function pairOf(model: DecisionTransformer, inputs: DTInputs, p: ParamValues) {
  return patchPair(model, inputs, corrupt(model, inputs, p).corrupted);
}

/** Settings of one activation-patching sweep (shared with its attribution estimate). */
export const SWEEP_PARAMS: ParamSchema = {
  ...CORRUPTION_PARAMS,
  mode: { kind: 'choice', default: 'noise', choices: PATCH_MODES },
  sweep: { kind: 'choice', default: 'block_every', choices: PATCH_SWEEPS },
  layer: { kind: 'int', default: 0, min: 0, max: 63, label: 'MLP layer (neuron sweeps)' },
  ...METRIC_PARAMS,
};

/** Object index of every cell [X * Y] ([x][y] order) of the observation at `step` (the grid editor). */
export function objectGrid(inputs: DTInputs, step: number): number[] {
  const [, T, X, Y, C] = inputs.states.shape;
  const t = step < 0 ? T + step : step;
  if (t < 0 || t >= T) return [];
  const out: number[] = [];
  for (let cell = 0; cell < X * Y; cell++) {
    const base = (t * X * Y + cell) * C;
    const d = inputs.states.data;
    out.push(C === ONE_HOT_CHANNELS ? Array.from(d.subarray(base, base + 11)).indexOf(1) : d[base]);
  }
  return out;
}

/** What the activation-patching job returns (the app's view draws it). */
export interface PatchingPanelResult {
  result: PatchingResult;
  changes: string[];
  identical: boolean;
  /** Object index per cell of the edited observation, clean and corrupted ([x][y] order). */
  grids: { clean: number[]; corrupted: number[] };
  obsShape: readonly [number, number, number];
}

export const activationPatchingPanel: JobPanel = {
  id: 'activation-patching',
  title: 'Activation patching',
  group: 'causal',
  scope: 'job',
  help:
    'Corrupt one token of the window (DTI “Patch by”: state cell, all RTGs, one RTG, an action, timesteps), ' +
    'then patch activations between the clean and corrupted runs, one patched forward per cell, as one ' +
    'batched sweep: residual stream, attention and MLP outputs by layer × position (TransformerLens ' +
    '`get_act_patch_*`, DTI `block_every`), heads (z, q, k, v, pattern; all positions or by position), ' +
    'attention pattern by destination × source, MLP neurons. Noise runs the clean window with corrupted ' +
    'activations, denoise the reverse; the score is DTI’s `logit_diff_recovery_metric` (0 = unpatched, ' +
    '1 = fully the other run) or the same normalisation of action probability, KL to the clean ' +
    'distribution, DTI’s neuron pre-activation metric or the RTG metric; hover shows the raw values. ' +
    'Uses the active weights variant.',
  params: SWEEP_PARAMS,
  async run(ctx, p, control): Promise<PatchingPanelResult> {
    const { model, inputs } = ctx;
    const variation = corrupt(model, inputs, p);
    const pair = patchPair(model, inputs, variation.corrupted);
    const [result] = await activationPatching(
      model,
      pair,
      p.mode as PatchMode,
      [{ kind: p.sweep as PatchSweepKind, layer: p.layer as number }],
      { metric: metricOf(p), ...control },
    );
    return {
      result,
      changes: variation.changes,
      identical: variation.identical,
      grids: {
        clean: objectGrid(inputs, p.step as number),
        corrupted: objectGrid(variation.corrupted, p.step as number),
      },
      obsShape: model.arch.obsShape,
    };
  },
};

export const counterfactualAttentionPanel: WindowPanel = {
  id: 'counterfactual-attention',
  title: 'Counterfactual attention',
  group: 'causal',
  scope: 'window',
  help:
    'How every head’s attention pattern (`blocks.{l}.attn.hook_pattern`) changes when one token of the ' +
    'window is corrupted (the same corruption settings as activation patching): corrupted − clean, as ' +
    'diverging heatmaps with token labels (head −1 = every head). Uses the active weights variant.',
  params: {
    ...CORRUPTION_PARAMS,
    layer: { kind: 'int', default: 0, min: 0, max: 63 },
    head: { kind: 'int', default: -1, min: -1, max: 4095, label: 'head (−1 = all)' },
  },
  needs: () => () => false,
  compute(run, p) {
    const variation = corrupt(run.model, run.inputs, p);
    return {
      result: counterfactualAttention(run.model, run.inputs, {
        kind: 'corrupted',
        inputs: variation.corrupted,
      }),
      changes: variation.changes,
      identical: variation.identical,
    };
  },
};

export const ablationPanel: WindowPanel = {
  id: 'ablation',
  title: 'Ablation',
  group: 'causal',
  scope: 'window',
  help:
    'Ablate heads (`attn.hook_z` of the head), whole MLPs (`hook_mlp_out`) and neurons (`mlp.hook_post`), ' +
    'together in one run (DTI “Ablation Experiment”): zero, mean (DTI’s own-vector mean: each head or ' +
    'MLP output vector replaced by its mean; a neuron by its mean over the window), the mean over the ' +
    'session’s dataset of windows, or resample (each value from a seeded random window of the dataset). ' +
    'Shows the action probabilities and the per-component logit-difference attribution before and after. ' +
    'Uses the active weights variant.',
  params: {
    heads: { kind: 'text', default: 'L0H1', pattern: /^(L\d+H\d+(,L\d+H\d+)*)?$/, label: 'heads (L0H1,…)' },
    mlps: { kind: 'text', default: '', pattern: /^(\d+(,\d+)*)?$/, label: 'MLP layers (0,1)' },
    neurons: { kind: 'text', default: '', pattern: /^(L\d+N\d+(,L\d+N\d+)*)?$/, label: 'neurons (L1N88,…)' },
    method: { kind: 'choice', default: 'zero', choices: ['zero', 'mean', 'dataset-mean', 'resample'] },
    seed: { kind: 'int', default: 0, min: 0, max: 1_000_000, label: 'resample seed' },
    ...DIRECTION_PARAMS,
  },
  needs: () => () => false,
  compute(run, p, ctx) {
    const heads = parseComponents(p.heads as string, 'H');
    const mlps = (p.mlps as string).split(',').filter(Boolean).map(Number);
    const neurons = parseComponents(p.neurons as string, 'N');
    if (heads.length + mlps.length + neurons.length === 0)
      throw new DtlensError('BAD_INPUT', 'choose heads, MLP layers or neurons to ablate');
    const fromDataset = p.method === 'dataset-mean' || p.method === 'resample';
    const spec: AblationSpec = {
      heads,
      mlps,
      neurons,
      method: p.method === 'dataset-mean' ? 'mean' : (p.method as AblationMethod),
      seed: p.seed as number,
    };
    const hooks = [...new Set(ablationInterventions(spec, fromDataset).map((iv) => iv.hook))];
    const dataset = fromDataset ? datasetCache(run.model, requireDataset(ctx), hooks) : undefined;
    return ablate(run.model, run.inputs, spec, { direction: direction(p), dataset });
  },
};
