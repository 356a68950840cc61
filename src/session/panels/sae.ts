/**
 * SAE panels (issue 16): train a sparse autoencoder on one hook point's activations over the session's
 * dataset of windows, with its metrics and the action loss with it spliced in, then a feature dashboard
 * of one latent. The trained SAE stays in the worker (per model, with the dataset it was trained on, like
 * the session dataset) for the dashboard, and comes back as a safetensors file (`saeIo`, what
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
import { type WindowView, windowView } from '../../analysis/features/windowViews.ts';
import type { WindowDataset } from '../../analysis/scans/windowDataset.ts';
import { DtlensError } from '../../errors.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
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

export interface SaeTrainResult {
  hook: string;
  token: PositionKind;
  windows: number;
  latents: number;
  statistics: Omit<SaeStatistics, 'firingRate'>;
  spliced: SplicedBehaviour;
  losses: number[];
  /** The latent that correlates most with each label class. */
  bestLatents: { label: string; class: string; latent: number; r: number }[];
  /** The SAE as a dtlens SAE safetensors file. */
  file: Uint8Array;
}

export const saeTrainPanel: JobPanel = {
  id: 'sae',
  title: 'Sparse autoencoder (SAE)',
  group: 'dataset',
  scope: 'job',
  help:
    'Trains a sparse autoencoder (TopK, or ReLU with an L1 penalty; AdamW, unit-norm decoder rows) on one ' +
    'vector hook point (TransformerLens name, e.g. `blocks.0.hook_resid_post`) read at the last S, R or A ' +
    'token of every window of the session’s dataset, as `dtlens sae train`. Reports the reconstruction ' +
    'error, explained variance, L0, dead and dense (>10% of windows) latents, and the action loss with the ' +
    'SAE spliced in at its hook and token against the clean and the zero-ablated model (loss recovered). ' +
    'The SAE stays in the session for the feature dashboard and can be downloaded (safetensors, read by ' +
    '`dtlens sae eval|steer`). Uses the active weights variant.',
  params: {
    hook: {
      kind: 'text',
      default: 'blocks.0.hook_resid_post',
      pattern: /^[\w.]+$/,
      label: 'hook point',
    },
    token: { kind: 'choice', default: 'S', choices: [...POSITION_KINDS] },
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
    const token = p.token as PositionKind;
    const [{ data: x, width }] = await collectActivations(model, set, [hook], token, control);
    const config = {
      kind: p.kind as SaeKind,
      dIn: width,
      dOut: width,
      latents: p.latents as number,
      k: p.k as number,
      l1: p.l1 as number,
    };
    const options = {
      steps: p.steps as number,
      batchSize: p.batch as number,
      lr: p.lr as number,
      seed: p.seed as number,
    };
    const training = startTraining(initSae(config, options.seed, rowMean(x, width)));
    await trainSae(model.gemm, training, x, undefined, options, control);
    const { sae } = training;
    const { firingRate: _, ...statistics } = saeStatistics(model.gemm, sae, x);
    const spliced = await splicedBehaviour(model, set, actionsTaken(set), sae, hook, token, control);
    const z = latentActivations(model, sae, x);
    const bestLatents = bestLatentPerClass(z, config.latents, set);
    const file: SaeFile = {
      training,
      site: { hook, position: token, model: modelFingerprint(model.arch, dataset.env.envId) },
      record: { windows: set.n, options, statistics, spliced, dataset: dataset.source },
    };
    trained.set(model, { file, dataset, set, z });
    return {
      hook,
      token,
      windows: set.n,
      latents: config.latents,
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
    const kept = trained.get(ctx.model);
    if (!kept)
      throw new DtlensError(
        'BAD_INPUT',
        'no SAE in this session: train one in the “Sparse autoencoder (SAE)” panel first',
      );
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
      dashboard,
      views: dashboard.top.map((t) => windowView(kept.dataset, t.window, file.site.position)),
    };
  },
};
