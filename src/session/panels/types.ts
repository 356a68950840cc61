/**
 * The panel contract (worker side). A panel is one analysis in the app: metadata (group, help text,
 * settings schema) plus a computation of one of three scopes:
 *
 * - `window`: recomputed from one cached forward pass of the current window whenever it changes
 *   (`needs` names the hook points; only open panels compute);
 * - `model`: computed once per model, weights variant and settings (static weight analyses);
 * - `job`: run on request (a "Run" button) with progress and cancellation through `JobControl`
 *   (sweeps, scans, dataset jobs); the page and the prediction keep updating meanwhile.
 *
 * `compute`/`run` return plain data (structured-clone safe); the UI view of the same id draws it.
 */
import type { SeriesModel } from '../../analysis/features/acrossTraining.ts';
import type { WindowDataset } from '../../analysis/scans/windowDataset.ts';
import type { EnvConfig } from '../../config/config.ts';
import type { Env } from '../../env/core/types.ts';
import type { AnalysisRun } from '../../analysis/dynamic/run.ts';
import type { JobControl } from '../../analysis/jobs.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { NameFilter } from '../../model/hooks.ts';
import type { WeightVariant } from '../../model/processing.ts';
import type { ParamSchema, ParamValues } from '../params.ts';

/** The analysis groups of the app's panel browser, in display order. */
export const PANEL_GROUPS = ['dynamic', 'weights', 'causal', 'scans', 'dataset'] as const;
export type PanelGroup = (typeof PANEL_GROUPS)[number];
export const GROUP_TITLES: Record<PanelGroup, string> = {
  dynamic: 'Play / Dynamic',
  weights: 'Weights',
  causal: 'Causal',
  scans: 'Scans',
  dataset: 'Dataset',
};

/** Hook points a window panel reads: `true` = the whole cache. */
export type PanelNeeds = true | NameFilter;

/** Where a window analysis looks: the chosen token position of the window (default: the last S token). */
export interface WindowContext {
  /** Token position in 0..P-1. */
  position: number;
  /** The session's window dataset (as `JobContext.dataset`); absent or null when none is kept. */
  dataset?: WindowDataset | null;
}

/** The episode being played when a job started: enough to rebuild its env state exactly. */
export interface JobEpisode {
  /** The checkpoint's env config (what closed-loop rollouts and datasets play). */
  env: EnvConfig;
  seed: number;
  /** Actions taken since the seeded reset. */
  actions: readonly number[];
  initialRtg: number;
  /** A fresh env replayed to the current state (`reset(seed)` then `actions`); the live env is never touched. */
  replay(): Env;
}

/** What a job runs on: the model and a snapshot of the window and episode when the job was started. */
export interface JobContext {
  model: DecisionTransformer;
  inputs: DTInputs;
  position: number;
  weights: WeightVariant;
  episode: JobEpisode;
  /** The session's window dataset (sampled in the app or loaded from a file), or null when none is. */
  dataset: WindowDataset | null;
  /** Makes `dataset` the session's dataset for later jobs (the dataset-sampling job). */
  keepDataset(dataset: WindowDataset): void;
  /** The session's checkpoint series (loaded in the across-training panel) built with `weights`; [] if none. */
  series(): SeriesModel[];
}

interface PanelMeta {
  /** URL-safe id (`[a-z][a-z0-9-]*`), the key of the UI view too. */
  id: string;
  title: string;
  group: PanelGroup;
  /**
   * One paragraph: what it computes (with the TransformerLens/DTI name) and which weights it uses.
   * Shown under the panel's title (the `?` toggle) and in the browser's search.
   */
  help: string;
  /** Settings: each lives in the URL as `<id>.<name>=value` and reaches `compute` validated. */
  params: ParamSchema;
}

export interface WindowPanel extends PanelMeta {
  scope: 'window';
  needs(arch: DTArchitecture, params: ParamValues): PanelNeeds;
  compute(run: AnalysisRun, params: ParamValues, ctx: WindowContext): unknown;
}

export interface ModelPanel extends PanelMeta {
  scope: 'model';
  /** Called once per (model, weights variant, settings); the result is cached in the worker. */
  compute(model: DecisionTransformer, params: ParamValues): unknown;
  /**
   * Session state the result also depends on (e.g. the saved directions): part of the cache key, and
   * such panels compute after the others in a refresh, so they see what those just stored.
   */
  stateKey?(model: DecisionTransformer): string;
}

export interface JobPanel extends PanelMeta {
  scope: 'job';
  /** Runs batched work through `forEachChunk(total, control, ...)` so progress and cancel work. */
  run(ctx: JobContext, params: ParamValues, control: JobControl): Promise<unknown>;
}

export type PanelSpec = WindowPanel | ModelPanel | JobPanel;
