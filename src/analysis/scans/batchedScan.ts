/**
 * The batched scan runner: n variants of one window run as batched cached forwards, chunked through
 * `forEachChunk` (progress, cancellation, bounded memory). Each row is read at one token position:
 * action logits `W_U x + b` and probabilities, the logit difference `x · dir` (no bias, DTI), its
 * decomposition at the requested levels (`logitDiffAttributions`, with or without LN scaling) and,
 * optionally, the attention of one query to every key for every head (plain and value-weighted).
 * RTG scans, coefficient (steering) scans and other sweeps over one window are built on it.
 */
import { check } from '../../errors.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Hook } from '../../model/hooks.ts';
import { lastStatePosition, tokenLabels } from '../../model/tokens.ts';
import { softmaxRowsInPlace } from '../../tensor/ops.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { type ValueWeighting, attentionPatterns } from '../dynamic/attention.ts';
import {
  DECOMPOSITION_LEVELS,
  type DecompositionLevel,
  type RowAttributions,
  logitDiffAttributions,
} from '../dynamic/decomposition.ts';
import {
  DEFAULT_LOGIT_DIRECTION,
  type LogitDirectionSpec,
  actionName,
  logitDirection,
} from '../dynamic/logitDirection.ts';
import { type AnalysisRun, type NdArray, dot, resolveIndex } from '../dynamic/run.ts';

/** The rows of a scan: n variants of one window. */
export interface ScanVariants {
  n: number;
  /** Model inputs of scan rows [start, end) (batch row i is scan row start + i). */
  inputs(start: number, end: number): DTInputs;
  /** Hooks of rows [start, end), e.g. a per-row steering addition. */
  hooks?(start: number, end: number): Hook[];
}

export interface ScanReadout {
  direction?: LogitDirectionSpec;
  /** Token position read (default: the last S token; negative counts from the end). */
  position?: number;
  /** Decompose with TL's LN scaling (`apply_ln=True`); default false, as DTI's scans. */
  applyLn?: boolean;
  /** Decomposition levels (default all three). */
  levels?: readonly DecompositionLevel[];
  /** Attention of one query position to every key (default: not computed). */
  attention?: { query?: number; weighting?: Exclude<ValueWeighting, 'none'> };
}

/** One decomposition level over the scan: `values[component][row]`. */
export interface ScanDecomposition extends RowAttributions {
  /** Whether the components were centred and divided by the ln_final scale (DTI's scans: no). */
  lnScaled: boolean;
}

/** Attention from `query` to every key over the scan, per head (`L{l}H{h}`, layer-major). */
export interface ScanAttention {
  query: number;
  queryLabel: string;
  heads: string[];
  weighting: Exclude<ValueWeighting, 'none'>;
  /** [head, row, key] softmax pattern */
  pattern: NdArray;
  /** [head, row, key] pattern × value norm (of the key; of the query in dti-compat) */
  weighted: NdArray;
}

export interface ScanRows {
  n: number;
  position: number;
  tokenLabel: string;
  tokenLabels: string[];
  actionNames: string[];
  direction: { positive: number; negative: number | null; label: string };
  /** [n, A] action logits at `position` (predictor bias included) */
  logits: NdArray;
  /** [n, A] softmax of the logits */
  probabilities: NdArray;
  /** [n] transformer output at `position` · direction (no bias) */
  logitDiff: number[];
  decomposition: Partial<Record<DecompositionLevel, ScanDecomposition>>;
  attention?: ScanAttention;
}

/** Activations the read-out needs (everything else is not cached). */
function cacheFilter(readout: ScanReadout): (name: string) => boolean {
  const want =
    /^(hook_embed|hook_pos_embed|ln_final\.hook_scale|blocks\.\d+\.(hook_attn_out|hook_mlp_out|attn\.hook_z|mlp\.hook_post))$/;
  const attn = /^blocks\.\d+\.attn\.hook_(pattern|v)$/;
  return (name) => want.test(name) || (readout.attention !== undefined && attn.test(name));
}

/** Runs the scan's rows in chunks and reads each at one position. */
export async function runScan(
  model: DecisionTransformer,
  variants: ScanVariants,
  readout: ScanReadout = {},
  control?: JobControl,
): Promise<ScanRows> {
  const { n } = variants;
  check(Number.isInteger(n) && n >= 1, 'BAD_INPUT', `a scan needs at least one row, got ${n}`);
  const levels = readout.levels ?? DECOMPOSITION_LEVELS;
  const lnScaled = (readout.applyLn ?? false) && model.arch.normalization !== null;
  const W = model.weights.actionPredictor.W;
  const bias = model.weights.actionPredictor.b;
  const [A, d] = W.shape;
  const { nLayers: L, nHeads: H } = model.arch;
  const logits = new Float32Array(n * A);
  const logitDiff: number[] = [];
  const decomposition: Partial<Record<DecompositionLevel, ScanDecomposition>> = {};
  let out: Omit<ScanRows, 'logits' | 'probabilities' | 'logitDiff' | 'decomposition' | 'attention'> | null =
    null;
  let attention: ScanAttention | undefined;
  let dirVector: Float32Array | undefined;
  const filter = cacheFilter(readout);
  await forEachChunk(n, control, (start, end) => {
    const inputs = variants.inputs(start, end);
    const res = model.run(inputs, { hooks: variants.hooks?.(start, end), cache: filter });
    const x = res.transformerOut;
    const [B, P] = x.shape;
    check(B === end - start, 'BAD_SHAPE', `scan rows ${start}..${end} gave a batch of ${B}`);
    if (!out) {
      const p = resolveIndex(readout.position ?? lastStatePosition(P), P, 'token position');
      const dir = logitDirection(res.cache!, readout.direction ?? DEFAULT_LOGIT_DIRECTION);
      const labels = tokenLabels(P);
      out = {
        n,
        position: p,
        tokenLabel: labels[p],
        tokenLabels: labels,
        actionNames: Array.from({ length: A }, (_, a) => actionName(a)),
        direction: { positive: dir.positive, negative: dir.negative, label: dir.label },
      };
      dirVector = dir.vector;
      if (readout.attention) {
        const q = resolveIndex(readout.attention.query ?? p, P, 'query position');
        const heads = Array.from({ length: L * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`);
        const empty = () => ({ shape: [L * H, n, P], data: new Float32Array(L * H * n * P) });
        attention = {
          query: q,
          queryLabel: labels[q],
          heads,
          weighting: readout.attention.weighting ?? 'key',
          pattern: empty(),
          weighted: empty(),
        };
      }
    }
    const p = out.position;
    check(
      x.shape[1] === out.tokenLabels.length,
      'BAD_SHAPE',
      'every scan row must have the same token count',
    );
    for (let b = 0; b < B; b++) {
      const row = start + b;
      const off = (b * P + p) * d;
      for (let a = 0; a < A; a++)
        logits[row * A + a] =
          dot(x.data, off, W.data.subarray(a * d, (a + 1) * d)) + (bias ? bias.data[a] : 0);
      logitDiff.push(dot(x.data, off, dirVector!));
    }
    const attributions = logitDiffAttributions(res.cache!, model, p, dirVector!, {
      applyLn: lnScaled,
      levels,
    });
    for (const level of levels) {
      const a = attributions[level]!;
      const target = (decomposition[level] ??= {
        labels: a.labels,
        values: a.labels.map(() => []),
        lnScaled,
      });
      a.values.forEach((v, i) => target.values[i].push(...v));
    }
    if (attention) readAttention(attention, model, inputs, res, start, n);
  });
  const probabilities = logits.slice();
  softmaxRowsInPlace(probabilities, A);
  return {
    ...out!,
    logits: { shape: [n, A], data: logits },
    probabilities: { shape: [n, A], data: probabilities },
    logitDiff,
    decomposition,
    ...(attention && { attention }),
  };
}

/** Copies the query row of every head's pattern (and its value-weighted version) for a chunk's rows. */
function readAttention(
  target: ScanAttention,
  model: DecisionTransformer,
  inputs: DTInputs,
  res: ReturnType<DecisionTransformer['run']>,
  start: number,
  n: number,
): void {
  const [B, P] = res.transformerOut.shape;
  const run: AnalysisRun = {
    model,
    inputs,
    transformerOut: res.transformerOut,
    actionPreds: res.actionPreds!,
    cache: res.cache!,
    tokenLabels: tokenLabels(P),
  };
  const q = target.query;
  const heads = target.heads.length;
  for (let b = 0; b < B; b++) {
    for (const [weighting, dest] of [
      ['none', target.pattern],
      [target.weighting, target.weighted],
    ] as const) {
      const data = attentionPatterns(run, { batch: b, valueWeighting: weighting, query: q }).data.data; // [L, H, P, P]
      for (let h = 0; h < heads; h++)
        dest.data.set(data.subarray((h * P + q) * P, (h * P + q + 1) * P), (h * n + start + b) * P);
    }
  }
}
