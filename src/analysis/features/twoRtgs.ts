/**
 * One window at two target RTGs side by side: every RTG token of the window set to `low` and to `high`
 * (the RTG scan's convention), run as one cached batch of two, and a per-window analysis at both with
 * their difference (high − low):
 * - `attributionsAtTwoRtgs`: the logit difference at one token attributed to the residual components at
 *   one level (which heads and MLPs are recruited as the target return rises);
 * - `attentionAtTwoRtgs`: every head's attention pattern;
 * - `logitLensAtTwoRtgs`: the logit difference read from the residual stream after each layer.
 */
import { check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { repeatWindow } from '../../model/inputs.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import { type DecompositionLevel, logitDiffAttributions } from '../dynamic/decomposition.ts';
import { type LogitDirectionSpec, logitDirection } from '../dynamic/logitDirection.ts';
import { type LogitLensOptions, logitLens } from '../dynamic/logitLens.ts';
import { type NdArray, analysisRun } from '../dynamic/run.ts';
import { headLabels } from '../static/model.ts';

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
  const { cache } = model.run(rtgPair(window, [low, high]), { cache: true });
  const P = cache!.nTokens;
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

/** The window twice as a batch: every RTG token at `low` (row 0) and at `high` (row 1). */
export function rtgPair(window: DTInputs, [low, high]: [number, number]): DTInputs {
  check(
    Number.isFinite(low) && Number.isFinite(high),
    'BAD_INPUT',
    `RTGs must be finite, got ${low}, ${high}`,
  );
  const pair = repeatWindow(window, 2);
  const T = window.rtgs.length;
  pair.rtgs.fill(low, 0, T).fill(high, T, 2 * T);
  return pair;
}

export interface TwoRtgAttention {
  rtgs: [number, number];
  /** `L{l}H{h}`, layer-major */
  heads: string[];
  tokenLabels: string[];
  /** [L, H, P, P] attention patterns (query, key) at the low and the high RTG, and high − low */
  low: NdArray;
  high: NdArray;
  difference: NdArray;
}

/** Every head's attention pattern at both RTGs. */
export function attentionAtTwoRtgs(
  model: DecisionTransformer,
  window: DTInputs,
  rtgs: [number, number],
): TwoRtgAttention {
  const run = analysisRun(model, rtgPair(window, rtgs));
  const { nLayers: L, nHeads: H } = model.arch;
  const P = run.tokenLabels.length;
  const size = H * P * P;
  const low = new Float32Array(L * size);
  const high = new Float32Array(L * size);
  for (let l = 0; l < L; l++) {
    const pattern = run.cache.get(`blocks.${l}.attn.hook_pattern`).data;
    low.set(pattern.subarray(0, size), l * size);
    high.set(pattern.subarray(size, 2 * size), l * size);
  }
  const shape = [L, H, P, P];
  return {
    rtgs,
    heads: headLabels(model.arch),
    tokenLabels: run.tokenLabels,
    low: { shape, data: low },
    high: { shape, data: high },
    difference: { shape, data: high.map((v, i) => v - low[i]) },
  };
}

export interface TwoRtgLogitLens {
  rtgs: [number, number];
  position: number;
  direction: string;
  layers: string[];
  /** [layer] logit difference read after each layer at the low and the high RTG, and high − low */
  low: number[];
  high: number[];
  difference: number[];
}

/** The logit lens (`logitLens`) at both RTGs. */
export function logitLensAtTwoRtgs(
  model: DecisionTransformer,
  window: DTInputs,
  rtgs: [number, number],
  options: Omit<LogitLensOptions, 'batch'> = {},
): TwoRtgLogitLens {
  const run = analysisRun(model, rtgPair(window, rtgs));
  const [lo, hi] = [0, 1].map((batch) => logitLens(run, { ...options, batch }));
  return {
    rtgs,
    position: lo.position,
    direction: lo.direction.label,
    layers: lo.layers,
    low: lo.logitDiff,
    high: hi.logitDiff,
    difference: hi.logitDiff.map((v, i) => v - lo.logitDiff[i]),
  };
}
