/**
 * The current window at two target RTGs (`features/twoRtgs.ts`): every head's attention pattern, the
 * logit lens and the logit-difference attribution at both and their difference, read at the chosen
 * token position (which heads are recruited as the target return rises).
 */
import { DECOMPOSITION_LEVELS, type DecompositionLevel } from '../../analysis/dynamic/decomposition.ts';
import {
  type TwoRtgAttention,
  type TwoRtgAttributions,
  type TwoRtgLogitLens,
  attentionAtTwoRtgs,
  attributionsAtTwoRtgs,
  logitLensAtTwoRtgs,
} from '../../analysis/features/twoRtgs.ts';
import { DIRECTION_PARAMS, direction } from './dynamic.ts';
import type { WindowPanel } from './types.ts';

export interface TwoRtgsResult {
  /** Token position read (attention query, logit lens and attribution read-out). */
  position: number;
  attention: TwoRtgAttention;
  lens: TwoRtgLogitLens;
  attribution: TwoRtgAttributions;
}

export const twoRtgsPanel: WindowPanel = {
  id: 'two-rtgs',
  title: 'Two target RTGs',
  group: 'dynamic',
  scope: 'window',
  help:
    'The current window run with every RTG token set to rtgA and to rtgB (the RTG scan’s convention) as ' +
    'one batch of two, and the difference (B − A) of every head’s attention pattern ' +
    '(`blocks.{l}.attn.hook_pattern`; per head, the total change of the chosen query’s attention), of the ' +
    'logit lens (`accumulated_resid` with `apply_ln`) and of the logit-difference attribution of the ' +
    'residual components (`decompose_resid` / `stack_head_results` at the chosen level) at the chosen ' +
    'position: which heads are recruited as the target return rises (as `dtlens two-rtgs`). Uses the ' +
    'active weights variant.',
  params: {
    rtgA: { kind: 'number', default: 0, min: -100, max: 100, label: 'RTG A' },
    rtgB: { kind: 'number', default: 1, min: -100, max: 100, label: 'RTG B' },
    level: { kind: 'choice', default: 'components', choices: [...DECOMPOSITION_LEVELS] },
    ...DIRECTION_PARAMS,
  },
  // The panel runs its own batch of two; only the embedding of the cached pass is read.
  needs: () => 'hook_embed',
  compute(run, p, ctx): TwoRtgsResult {
    const rtgs: [number, number] = [p.rtgA as number, p.rtgB as number];
    const { position } = ctx;
    const dir = direction(p);
    return {
      position,
      attention: attentionAtTwoRtgs(run.model, run.inputs, rtgs),
      lens: logitLensAtTwoRtgs(run.model, run.inputs, rtgs, { direction: dir, position }),
      attribution: attributionsAtTwoRtgs(run.model, run.inputs, rtgs, {
        direction: dir,
        position,
        level: p.level as DecompositionLevel,
      }),
    };
  },
};
