/**
 * Ablation (DTI's "Ablation Experiment", generalised): zero, mean or resample heads (`attn.hook_z`),
 * whole MLPs (`hook_mlp_out`) and single neurons (`mlp.hook_post`), at every position or chosen ones,
 * any composition of them in one run. Returns the prediction and the logit-difference decomposition
 * before and after, with the raw logit differences.
 *
 * Methods: `zero`; `mean` = DTI's own-vector mean in dti-compat style (each head's z vector / each
 * mlp_out vector replaced by its mean over d_head / d_model; a single neuron by its mean over
 * positions of the window) or, with a `dataset` source cache, the dataset mean; `resample` = a seeded
 * random window of the dataset source.
 */
import { check } from '../../errors.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { tokenLabels } from '../../model/tokens.ts';
import { type DecompositionResult, decomposeLogitDiff } from '../dynamic/decomposition.ts';
import type { LogitDirectionSpec } from '../dynamic/logitDirection.ts';
import type { AnalysisRun } from '../dynamic/run.ts';
import { interventionHooks } from './apply.ts';
import type { Intervention, InterventionOp, InterventionRow } from './intervention.ts';

export type AblationMethod = 'zero' | 'mean' | 'resample';

export interface AblationSpec {
  heads?: Array<[layer: number, head: number]>;
  mlps?: number[];
  neurons?: Array<[layer: number, neuron: number]>;
  /** Token positions to ablate (default: all). */
  positions?: number[];
  method: AblationMethod;
  /** Seed of `resample`. */
  seed?: number;
}

export interface AblationOptions {
  direction?: LogitDirectionSpec;
  /** Batched cache of a dataset of windows (same length): dataset means and resampling. */
  dataset?: ActivationCache;
}

export interface AblationResult {
  interventions: InterventionRow;
  /** Action probabilities at the last S token, before and after [A]. */
  before: number[];
  after: number[];
  decompositionBefore: DecompositionResult;
  decompositionAfter: DecompositionResult;
  /** Raw logit differences (clean run and ablated run). */
  logitDiffBefore: number;
  logitDiffAfter: number;
}

/** The interventions of an ablation (one row, applied together). */
export function ablationInterventions(spec: AblationSpec, hasDataset: boolean): InterventionRow {
  const where = spec.positions ? { positions: spec.positions } : {};
  check(
    spec.method !== 'resample' || hasDataset,
    'BAD_INPUT',
    'resample ablation needs a dataset of windows to resample from',
  );
  const op = (own: InterventionOp): InterventionOp =>
    spec.method === 'zero'
      ? { kind: 'zero' }
      : spec.method === 'resample'
        ? { kind: 'resample', source: 'dataset', seed: spec.seed ?? 0 }
        : hasDataset
          ? { kind: 'mean', over: 'dataset', source: 'dataset' }
          : own;
  const ivs: Intervention[] = [
    ...(spec.heads ?? []).map(([l, h]): Intervention => ({
      hook: `blocks.${l}.attn.hook_z`,
      op: op({ kind: 'mean', over: 'own' }),
      where: { ...where, heads: [h] },
    })),
    ...(spec.mlps ?? []).map((l): Intervention => ({
      hook: `blocks.${l}.hook_mlp_out`,
      op: op({ kind: 'mean', over: 'own' }),
      where,
    })),
    ...(spec.neurons ?? []).map(([l, n]): Intervention => ({
      hook: `blocks.${l}.mlp.hook_post`,
      op: op({ kind: 'mean', over: 'window' }),
      where: { ...where, neurons: [n] },
    })),
  ];
  check(ivs.length > 0, 'BAD_INPUT', 'nothing to ablate: choose heads, MLPs or neurons');
  return ivs;
}

const softmax = (logits: Float32Array): number[] => {
  const m = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
};

function cachedRun(
  model: DecisionTransformer,
  inputs: DTInputs,
  row?: InterventionRow,
  dataset?: ActivationCache,
): AnalysisRun {
  const P = model.toTokens(inputs).shape[1];
  const hooks = row ? interventionHooks([row], model.arch, P, dataset ? { dataset } : {}) : undefined;
  const res = model.run(inputs, { cache: true, hooks });
  return {
    model,
    inputs,
    transformerOut: res.transformerOut,
    actionPreds: res.actionPreds!,
    cache: res.cache!,
    tokenLabels: tokenLabels(P),
  };
}

/** Runs one window (batch 1) clean and ablated. */
export function ablate(
  model: DecisionTransformer,
  inputs: DTInputs,
  spec: AblationSpec,
  options: AblationOptions = {},
): AblationResult {
  check(inputs.states.shape[0] === 1, 'BAD_SHAPE', 'ablation runs on a single window');
  const row = ablationInterventions(spec, options.dataset !== undefined);
  const clean = cachedRun(model, inputs);
  const ablated = cachedRun(model, inputs, row, options.dataset);
  const probs = (r: AnalysisRun) => {
    const [, T, A] = r.actionPreds.shape;
    return softmax(r.actionPreds.data.subarray((T - 1) * A, T * A));
  };
  const decompositionBefore = decomposeLogitDiff(clean, { direction: options.direction });
  const decompositionAfter = decomposeLogitDiff(ablated, { direction: options.direction });
  return {
    interventions: row,
    before: probs(clean),
    after: probs(ablated),
    decompositionBefore,
    decompositionAfter,
    logitDiffBefore: decompositionBefore.logitDiff,
    logitDiffAfter: decompositionAfter.logitDiff,
  };
}
