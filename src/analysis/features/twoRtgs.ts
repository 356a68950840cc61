/**
 * One window at two target RTGs side by side: every RTG token of the window set to `low` and to `high`
 * (the RTG scan's convention), run as one batch of two, and the logit difference at one token attributed
 * to the residual components at one level for both, with their difference (high − low): which heads and
 * MLPs are recruited as the target return rises.
 */
import { check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { repeatWindow } from '../../model/inputs.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import { type DecompositionLevel, logitDiffAttributions } from '../dynamic/decomposition.ts';
import { type LogitDirectionSpec, logitDirection } from '../dynamic/logitDirection.ts';

export interface TwoRtgOptions {
  direction?: LogitDirectionSpec;
  /** Decomposition level (default components: heads, MLPs, embeddings, bias). */
  level?: DecompositionLevel;
  /** Token position (default the last S token). */
  position?: number;
  /** TL `apply_ln` (default true). */
  applyLn?: boolean;
}

export interface TwoRtgAttributions {
  rtgs: [number, number];
  position: number;
  direction: string;
  labels: string[];
  /** [component] attribution at the low and at the high RTG, and high − low */
  low: number[];
  high: number[];
  difference: number[];
}

export function attributionsAtTwoRtgs(
  model: DecisionTransformer,
  window: DTInputs,
  [low, high]: [number, number],
  options: TwoRtgOptions = {},
): TwoRtgAttributions {
  check(
    Number.isFinite(low) && Number.isFinite(high),
    'BAD_INPUT',
    `RTGs must be finite, got ${low}, ${high}`,
  );
  const pair = repeatWindow(window, 2);
  const T = window.rtgs.length;
  pair.rtgs.fill(low, 0, T).fill(high, T, 2 * T);
  const { cache } = model.run(pair, { cache: true });
  const P = cache!.get('hook_embed').shape[1];
  const position = options.position ?? lastStatePosition(P);
  const level = options.level ?? 'components';
  const dir = logitDirection(cache!, options.direction);
  const rows = logitDiffAttributions(cache!, model, position, dir.vector, {
    applyLn: options.applyLn,
    levels: [level],
  })[level]!;
  const column = (b: number) => rows.values.map((v) => v[b]);
  const [lo, hi] = [column(0), column(1)];
  return {
    rtgs: [low, high],
    position,
    direction: dir.label,
    labels: rows.labels,
    low: lo,
    high: hi,
    difference: hi.map((v, i) => v - lo[i]),
  };
}
