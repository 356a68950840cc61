/**
 * What ../shared/golden holds per model, written out so that parity tests can assert that they compared
 * exactly this: a renamed key or folder fails a test instead of emptying it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { sharedPath } from './shared.ts';

export type GoldenVariant = 'raw' | 'processed';
export type Head = 'action' | 'state' | 'reward';

export interface GoldenModel {
  /** Prediction heads stored per variant (`<variant>.<head>_preds` with `<variant>.transformer_out`). */
  heads: Partial<Record<GoldenVariant, Head[]>>;
  /** `<variant>.empty_actions.*` is stored (max_len 1 models) for every variant of `heads`. */
  emptyActions: boolean;
  /** Variants with a full activation cache (`cache_<variant>_traj0_seed0.safetensors`). */
  caches: GoldenVariant[];
  /** `episode.step_action_logits` (the batch-1 rollout's logits) is stored: DTI HEAD models only. */
  stepLogits: boolean;
}

const legacy: GoldenModel = {
  heads: { raw: ['action', 'state', 'reward'] },
  emptyActions: false,
  caches: ['raw'],
  stepLogits: false,
};

export const GOLDEN_MODELS: Record<string, GoldenModel> = {
  DevModelNotCalibrated: {
    heads: { raw: ['action', 'state', 'reward'], processed: ['action', 'reward'] },
    emptyActions: false,
    caches: ['raw'],
    stepLogits: true,
  },
  MemoryGatedMLP: {
    heads: { raw: ['action', 'state', 'reward'], processed: ['action', 'reward'] },
    emptyActions: false,
    caches: ['raw', 'processed'],
    stepLogits: true,
  },
  ReproduceOriginalPostShort: {
    heads: { raw: ['action'], processed: ['action'] },
    emptyActions: true,
    caches: ['raw'],
    stepLogits: true,
  },
  legacy_demo_model: legacy,
  legacy_demo_model_one_hot_overnight: legacy,
  legacy_demo_model_overnight_training: legacy,
  legacy_first_pass_DoorKey: legacy,
  legacy_linear_model_not_performant: legacy,
};

/** Folders of ../shared/golden that hold a model (a config.json), sorted. */
export const goldenModelDirs = (): string[] =>
  readdirSync(sharedPath('golden'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(sharedPath('golden', e.name, 'config.json')))
    .map((e) => e.name)
    .sort();

/** The per-step window files `traj<i>_seed<s>.safetensors` of a golden model folder. */
export const goldenWindows = (name: string): string[] =>
  readdirSync(sharedPath('golden', name)).filter((f) => /^traj\d+_seed\d+\.safetensors$/.test(f));

/** "variant: head,head", the form in which parity tests record which outputs they compared. */
export const headsLabel = (variant: string, heads: readonly string[]): string =>
  `${variant}: ${heads.join(',')}`;

/** The `headsLabel`s of every stored variant of a golden model. */
export const headsLabels = (m: GoldenModel): string[] =>
  Object.entries(m.heads).map(([variant, heads]) => headsLabel(variant, heads));
