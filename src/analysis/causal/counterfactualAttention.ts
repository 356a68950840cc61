/**
 * Counterfactual attention: how the attention pattern of every head changes between the clean run and
 * a counterfactual one, either the corrupted window or the clean window under interventions:
 * `diff[l, h, dest, src] = pattern_counterfactual − pattern_clean` (batch row 0).
 */
import { check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { tokenLabels } from '../../model/tokens.ts';
import type { NdArray } from '../dynamic/run.ts';
import { type SourceCaches, interventionHooks } from './apply.ts';
import type { InterventionRow } from './intervention.ts';

export interface CounterfactualAttentionResult {
  /** [L, H, P, P]: counterfactual − clean pattern */
  diff: NdArray;
  /** [L, H, P, P]: the clean and counterfactual patterns */
  clean: NdArray;
  counterfactual: NdArray;
  tokenLabels: string[];
  /** e.g. "corrupted − clean" */
  label: string;
}

export type Counterfactual =
  | { kind: 'corrupted'; inputs: DTInputs }
  | { kind: 'interventions'; row: InterventionRow; sources?: SourceCaches };

/** Stacks `blocks.l.attn.hook_pattern` [1, H, P, P] of every layer into [L, H, P, P]. */
function patterns(
  model: DecisionTransformer,
  inputs: DTInputs,
  row?: InterventionRow,
  sources?: SourceCaches,
): NdArray {
  const { nLayers: L, nHeads: H } = model.arch;
  const names = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_pattern`);
  const P = model.toTokens(inputs).shape[1];
  const hooks = row ? interventionHooks([row], model.arch, P, sources) : undefined;
  // Both sides on the hooked core: heads no intervention reaches differ by exactly 0.
  const cache = model.run(inputs, { cache: names, hooks, core: 'hooked' }).cache!;
  const data = new Float32Array(L * H * P * P);
  names.forEach((n, l) => data.set(cache.get(n).data, l * H * P * P));
  return { shape: [L, H, P, P], data };
}

export function counterfactualAttention(
  model: DecisionTransformer,
  clean: DTInputs,
  counterfactual: Counterfactual,
): CounterfactualAttentionResult {
  check(clean.states.shape[0] === 1, 'BAD_SHAPE', 'counterfactual attention compares single windows');
  const before = patterns(model, clean);
  const after =
    counterfactual.kind === 'corrupted'
      ? patterns(model, counterfactual.inputs)
      : patterns(model, clean, counterfactual.row, counterfactual.sources);
  check(
    after.data.length === before.data.length,
    'BAD_SHAPE',
    'the counterfactual window must have as many tokens as the clean one',
  );
  return {
    diff: { shape: before.shape, data: after.data.map((v, i) => v - before.data[i]) },
    clean: before,
    counterfactual: after,
    tokenLabels: tokenLabels(before.shape[2]),
    label: counterfactual.kind === 'corrupted' ? 'corrupted − clean' : 'intervened − clean',
  };
}
