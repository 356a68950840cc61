/**
 * SAE panels (issue 16): train (or continue) a sparse autoencoder or transcoder on one hook point's
 * activations over the session's dataset of windows, with its metrics and the action loss with it
 * spliced in, then a feature dashboard of one latent and steering by one latent (one window, closed
 * loop). The trained SAE stays in the worker (per model, with the dataset it was trained on, like the
 * session dataset) for the dashboard and steering, and comes back as a safetensors file (`saeIo`, what
 * `dtlens sae eval|steer --sae` read).
 */
import {
  type PositionKind,
  POSITION_KINDS,
  collectActivations,
} from '../../analysis/features/activations.ts';
import { type ProbeSet, actionsTaken } from '../../analysis/features/probeSet.ts';
import {
  SAE_KINDS,
  type SaeKind,
  initSae,
  rowMean,
  startTraining,
  trainSae,
} from '../../analysis/features/sae.ts';
import {
  type FeatureDashboard,
  bestLatentPerClass,
  featureDashboard,
  latentActivations,
} from '../../analysis/features/saeDashboard.ts';
import { type SaeFile, modelFingerprint, writeSae } from '../../analysis/features/saeIo.ts';
import {
  type SaeStatistics,
  type SplicedBehaviour,
  saeStatistics,
  splicedBehaviour,
} from '../../analysis/features/saeMetrics.ts';
import { windowProbeSet } from '../../analysis/features/windowLabels.ts';
import {
  type FeatureRolloutResult,
  LATENT_OPS,
  type LatentOp,
  featureRollouts,
  saeLatentExperiment,
  windowUnderConditions,
} from '../../analysis/features/featureRollouts.ts';
import { actionName } from '../../analysis/dynamic/logitDirection.ts';
import { type WindowView, windowView } from '../../analysis/features/windowViews.ts';
import type { WindowDataset } from '../../analysis/scans/windowDataset.ts';
import { DtlensError, check } from '../../errors.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import { type ParamValues, numberList, shownWhenAll } from '../params.ts';
import { panelClosedLoop } from './rollouts.ts';
import { requireDataset } from './dataset.ts';
import type { JobPanel } from './types.ts';

/** The SAE last trained in the app for a model, with what its dashboard reads. */
interface TrainedSae {
  file: SaeFile;
  dataset: WindowDataset;
  set: ProbeSet;
  /** [windows, latents] latent activations over the dataset */
  z: Float32Array;
}

const trained = new WeakMap<DecisionTransformer, TrainedSae>();

/** The SAE last trained in the app for `model` (BAD_INPUT saying how to get one when there is none). */
function keptSae(model: DecisionTransformer): TrainedSae {
  const kept = trained.get(model);
  if (!kept)
    throw new DtlensError(
      'BAD_INPUT',
      'no SAE in this session: train one in the “Sparse autoencoder (SAE)” panel first',
    );
  return kept;
}

export interface SaeTrainResult {
  hook: string;
  /** A transcoder's output hook point (absent for an SAE). */
  outputHook?: string;
  kind: SaeKind;
  token: PositionKind;
  windows: number;
  latents: number;
  /** Optimiser steps of the SAE so far (more than this run's when it continued the session's SAE). */
  steps: number;
  statistics: Omit<SaeStatistics, 'firingRate'>;
  /** The action loss with the SAE spliced in (null for a transcoder, which has no splice here). */
  spliced: SplicedBehaviour | null;
  losses: number[];
  /** The latent that correlates most with each label class. */
  bestLatents: { label: string; class: string; latent: number; r: number }[];
  /** The SAE as a dtlens SAE safetensors file. */
  file: Uint8Array;
}

/**
 * The session's SAE continued (same model, hook, token and output hook), or a new one for these
 * settings on activations `x` → `y` (widths `dIn`, `dOut`).
 */
function trainingFor(
  model: DecisionTransformer,
  p: ParamValues,
  site: SaeFile['site'],
  x: { data: Float32Array; width: number },
  y: { data: Float32Array; width: number },
): SaeFile {
  if (p.continue === 'yes') {
    const kept = trained.get(model);
    check(!!kept, 'BAD_INPUT', 'no SAE in this session to continue: train one first (continue: no)');
    const was = kept!.file.site;
    check(
      was.hook === site.hook && was.position === site.position && was.outputHook === site.outputHook,
      'BAD_INPUT',
      `the session's SAE reads ${was.hook} at ${was.position}${was.outputHook ? ` → ${was.outputHook}` : ''}: continue it with those settings`,
    );
    return kept!.file;
  }
  const config = {
    kind: p.kind as SaeKind,
    dIn: x.width,
    dOut: y.width,
    latents: p.latents as number,
    k: p.k as number,
    l1: p.l1 as number,
  };
  return {
    training: startTraining(initSae(config, p.seed as number, rowMean(y.data, y.width))),
    site,
    record: {},
  };
}

export const saeTrainPanel: JobPanel = {
  id: 'sae',
  title: 'Sparse autoencoder (SAE)',
  group: 'dataset',
  scope: 'job',
  help:
    'Trains a sparse autoencoder (TopK, or ReLU with an L1 penalty; AdamW, unit-norm decoder rows) on one ' +
    'vector hook point (TransformerLens name, e.g. `blocks.0.hook_resid_post`) read at the last S, R or A ' +
    'token of every window of the session’s dataset, as `dtlens sae train`; with an output hook, a ' +
    'transcoder (e.g. `blocks.0.ln2.hook_normalized` → `blocks.0.hook_mlp_out`). Continue: more steps of the ' +
    'session’s SAE (same hook, token and output hook; its AdamW state kept), on the current dataset. Reports ' +
    'the reconstruction error, explained variance, L0, dead and dense (>10% of windows) latents, and for an ' +
    'SAE the action loss with it spliced in at its hook and token against the clean and the zero-ablated ' +
    'model (loss recovered). The SAE stays in the session for the feature dashboard and latent steering and ' +
    'can be downloaded (safetensors, read by `dtlens sae eval|steer`). Uses the active weights variant.',
  params: {
    hook: {
      kind: 'text',
      default: 'blocks.0.hook_resid_post',
      pattern: /^[\w.]+$/,
      label: 'hook point',
    },
    output: {
      kind: 'text',
      default: '',
      pattern: /^[\w.]*$/,
      label: 'transcoder output hook (empty: SAE)',
    },
    token: { kind: 'choice', default: 'S', choices: [...POSITION_KINDS] },
    continue: { kind: 'choice', default: 'no', choices: ['no', 'yes'], label: 'continue the session SAE' },
    ...shownWhenAll(
      {
        kind: { kind: 'choice', default: 'topk', choices: [...SAE_KINDS] },
        latents: { kind: 'int', default: 128, min: 1, max: 16_384 },
        k: { kind: 'int', default: 8, min: 1, max: 16_384, label: 'k (topk)', shownWhen: { kind: ['topk'] } },
        l1: {
          kind: 'number',
          default: 0.01,
          min: 0,
          max: 100,
          label: 'L1 (relu)',
          shownWhen: { kind: ['relu'] },
        },
      },
      { continue: ['no'] },
    ),
    steps: { kind: 'int', default: 500, min: 1, max: 100_000 },
    batch: { kind: 'int', default: 256, min: 1, max: 100_000 },
    lr: { kind: 'number', default: 0.001, min: 0, max: 1 },
    seed: { kind: 'int', default: 0, min: 0, max: 1_000_000 },
  },
  async run(ctx, p, control): Promise<SaeTrainResult> {
    const { model } = ctx;
    const dataset = requireDataset(ctx);
    const set = windowProbeSet(dataset);
    const hook = p.hook as string;
    const outputHook = (p.output as string) || undefined;
    const token = p.token as PositionKind;
    const hooks = outputHook ? [hook, outputHook] : [hook];
    const tables = await collectActivations(model, set, hooks, token, control);
    const [x, y] = [tables[0], tables[tables.length - 1]];
    const site = {
      hook,
      outputHook,
      position: token,
      model: modelFingerprint(model.arch, dataset.env.envId),
    };
    const file = trainingFor(model, p, site, x, y);
    const options = {
      steps: p.steps as number,
      batchSize: p.batch as number,
      lr: p.lr as number,
      seed: p.seed as number,
    };
    const { training } = file;
    const yData = outputHook ? y.data : undefined;
    await trainSae(model.gemm, training, x.data, yData, options, control);
    const { sae } = training;
    const { firingRate: _, ...statistics } = saeStatistics(model.gemm, sae, x.data, yData);
    const spliced = outputHook
      ? null
      : await splicedBehaviour(model, set, actionsTaken(set), sae, hook, token, control);
    const z = latentActivations(model, sae, x.data);
    const bestLatents = bestLatentPerClass(z, sae.config.latents, set);
    file.record = {
      ...file.record,
      windows: set.n,
      options: { ...options, ...(file.record.options as object) },
      statistics,
      spliced,
      dataset: dataset.source,
    };
    trained.set(model, { file, dataset, set, z });
    return {
      hook,
      ...(outputHook && { outputHook }),
      kind: sae.config.kind,
      token,
      windows: set.n,
      latents: sae.config.latents,
      steps: training.optimizer.step,
      statistics,
      spliced,
      losses: training.losses,
      bestLatents,
      file: writeSae(file),
    };
  },
};

export interface SaeDashboardResult {
  hook: string;
  /** A transcoder's output hook point (absent for an SAE). */
  outputHook?: string;
  dashboard: FeatureDashboard;
  /** Top-activating windows drawn as agent views at the token the SAE reads. */
  views: WindowView[];
}

export const saeDashboardPanel: JobPanel = {
  id: 'sae-dashboard',
  title: 'SAE feature dashboard',
  group: 'dataset',
  scope: 'job',
  help:
    'One latent of the SAE trained in the “Sparse autoencoder (SAE)” panel, over the same dataset: its ' +
    'top-activating windows drawn as the agent’s view at the token read, the histogram of its non-zero ' +
    'activations, its decoder direction read through the action predictor (W_dec[i] · W_U, without ' +
    'ln_final’s scale) and the state embedding (the observation features it aligns with most), and its ' +
    'correlation with the facts of each window: the action taken, RTG bucket and target RTG, and, replayed ' +
    'from the episodes’ seeds, the instruction object (Memory), key/ball/door in view or remembered and the ' +
    'agent’s position and direction, as ' +
    '`dtlens sae eval --features`. Uses the weights variant the SAE was trained with.',
  params: {
    latent: { kind: 'int', default: 0, min: 0, max: 16_383 },
    top: { kind: 'int', default: 8, min: 1, max: 64, label: 'top windows' },
  },
  async run(ctx, p): Promise<SaeDashboardResult> {
    const kept = keptSae(ctx.model);
    if (kept.dataset !== ctx.dataset)
      throw new DtlensError(
        'BAD_INPUT',
        'the session’s dataset changed since the SAE was trained: train it again',
      );
    const { file, set, z } = kept;
    const dashboard = featureDashboard(ctx.model, file.training.sae, z, set, p.latent as number, {
      top: p.top as number,
    });
    return {
      hook: file.site.hook,
      ...(file.site.outputHook && { outputHook: file.site.outputHook }),
      dashboard,
      views: dashboard.top.map((t) => windowView(kept.dataset, t.window, file.site.position)),
    };
  },
};

export interface SaeSteerResult {
  hook: string;
  token: PositionKind;
  latent: number;
  op: LatentOp;
  /** The current window under every condition: action probabilities at its last S token. */
  window: { labels: string[]; actionNames: string[]; probabilities: number[][] };
  /** The conditions played in closed loop, with a verdict per edit against its control. */
  result: FeatureRolloutResult;
}

export const saeSteerPanel: JobPanel = {
  id: 'sae-steer',
  title: 'SAE latent steering',
  group: 'dataset',
  scope: 'job',
  help:
    'Intervenes on one latent of the SAE trained in the “Sparse autoencoder (SAE)” panel, spliced in at its ' +
    'hook at every token of its kind: add v · W_dec[latent] (a steering vector), zero the latent, or clamp ' +
    'it to v (reconstruction error kept), as `dtlens sae steer`. Shows the current window’s action ' +
    'probabilities under each condition (one batched forward), then plays N seeds at the play area’s initial ' +
    'RTG in closed loop under each (none, the edit, and controls: a random equal-norm vector and the ' +
    'sign-flipped one for add, the same edit of a seeded random other latent for zero and clamp) with ' +
    'success, goal choice and Wilson 95% intervals, and whether behaviour follows each edit (its success ' +
    'interval apart from none’s while its control’s is not). Uses the weights variant the SAE was trained with.',
  params: {
    latent: { kind: 'int', default: 0, min: 0, max: 16_383 },
    op: { kind: 'choice', default: 'clamp', choices: LATENT_OPS },
    values: {
      kind: 'text',
      default: '2,5',
      pattern: /^[-\d.e, ]+$/,
      label: 'values (added / clamped to)',
      shownWhen: { op: ['add', 'clamp'] },
    },
    episodes: { kind: 'int', default: 20, min: 1, max: 1000 },
    seed: { kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, label: 'first episode seed' },
    controls: { kind: 'choice', default: 'yes', choices: ['yes', 'no'] },
  },
  async run(ctx, p, control): Promise<SaeSteerResult> {
    const { file } = keptSae(ctx.model);
    const { sae } = file.training;
    const { hook, outputHook, position: token } = file.site;
    check(
      outputHook === undefined,
      'UNSUPPORTED',
      'steering edits an SAE’s latents at the hook point it reconstructs; a transcoder predicts another hook point, so it is not spliced in',
    );
    const op = p.op as LatentOp;
    const values = op === 'zero' ? [] : numberList(p.values as string, 'value');
    const latent = p.latent as number;
    const experiment = saeLatentExperiment(ctx.model, sae, { hook, kind: token }, latent, op, values, {
      controls: p.controls === 'yes',
      seed: p.seed as number,
    });
    const window = windowUnderConditions(ctx.model, ctx.inputs, experiment);
    const result = await featureRollouts(ctx.model, experiment, panelClosedLoop(ctx, p, control, 100));
    const actionNames = Array.from({ length: ctx.model.arch.nActions }, (_, a) => actionName(a));
    return { hook, token, latent, op, window: { ...window, actionNames }, result };
  },
};
