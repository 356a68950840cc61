/**
 * The batched scan runner: n variants of one window run as batched cached forwards, chunked through
 * `forEachChunk` (progress, cancellation, bounded memory). Each row is read at one token position:
 * action logits `W_U x + b` and probabilities, the logit difference `x · dir` (no bias, DTI), its
 * decomposition at the requested levels (`logitDiffAttributions`, with or without LN scaling) and,
 * optionally, the attention of one query to every key for every head (plain and value-weighted).
 * RTG scans run their input variants with `runScan`; coefficient (steering) scans run intervention rows
 * through the causal layer's `runSweep` and read each chunk with the same `ScanReader`.
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { lastStatePosition, tokenKind, tokenLabels } from '../../model/tokens.ts';
import { softmaxRowsInPlace } from '../../tensor/ops.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { type ValueWeighting, valueNorms } from '../dynamic/attention.ts';
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
import { type NdArray, dot, positionOffset, resolveIndex } from '../dynamic/run.ts';

/** The rows of a scan: n variants of one window. */
export interface ScanVariants {
  n: number;
  /** Token embeddings [end - start, P, d] of scan rows [start, end) (batch row i is scan row start + i). */
  tokens(start: number, end: number): Tensor;
  /** DTI's 2-token read-out for `actions=None` windows. */
  noActions: boolean;
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
  /** [n, A] action logits at `position`: the model's prediction at an S token, else W_U x + b */
  logits: NdArray;
  /** [n, A] softmax of the logits */
  probabilities: NdArray;
  /** [n] transformer output at `position` · direction (no bias) */
  logitDiff: number[];
  decomposition: Partial<Record<DecompositionLevel, ScanDecomposition>>;
  attention?: ScanAttention;
}

/** Activations the read-out needs (everything else is not cached). */
export function scanCacheFilter(readout: ScanReadout): (name: string) => boolean {
  const want =
    /^(hook_embed|hook_pos_embed|ln_final\.hook_scale|blocks\.\d+\.(hook_attn_out|hook_mlp_out|attn\.hook_z|mlp\.hook_post))$/;
  const attn = /^blocks\.\d+\.attn\.hook_(pattern|v)$/;
  return (name) => want.test(name) || (readout.attention !== undefined && attn.test(name));
}

/**
 * Collects the read-out of a scan's rows from batched runs cached with `scanCacheFilter`: `read(run,
 * rows)` takes a run whose batch row i is scan row `rows[i]` (any order); `result()` assembles them.
 */
export class ScanReader {
  private readonly levels: readonly DecompositionLevel[];
  private readonly lnScaled: boolean;
  private readonly logits: Float32Array;
  private readonly logitDiff: number[];
  private readonly decomposition: Partial<Record<DecompositionLevel, ScanDecomposition>> = {};
  private meta: Omit<
    ScanRows,
    'logits' | 'probabilities' | 'logitDiff' | 'decomposition' | 'attention'
  > | null = null;
  private dir: Float32Array | null = null;
  private attention: ScanAttention | undefined;
  private done = 0;

  constructor(
    private readonly model: DecisionTransformer,
    private readonly n: number,
    private readonly readout: ScanReadout = {},
  ) {
    check(Number.isInteger(n) && n >= 1, 'BAD_INPUT', `a scan needs at least one row, got ${n}`);
    this.levels = readout.levels ?? DECOMPOSITION_LEVELS;
    this.lnScaled = (readout.applyLn ?? false) && model.arch.normalization !== null;
    this.logits = new Float32Array(n * model.weights.actionPredictor.W.shape[0]);
    this.logitDiff = Array<number>(n).fill(0);
  }

  read(res: RunResult, rows: readonly number[]): void {
    const { model, n } = this;
    const W = model.weights.actionPredictor.W;
    const bias = model.weights.actionPredictor.b;
    const [A, d] = W.shape;
    const x = res.transformerOut; // [B, P, d], or [B, 1, d] from a last-position run
    const B = x.shape[0];
    const P = res.cache!.nTokens;
    check(B === rows.length, 'BAD_SHAPE', `a scan chunk of ${rows.length} rows gave a batch of ${B}`);
    const meta = this.meta ?? this.init(res, P, A);
    check(P === meta.tokenLabels.length, 'BAD_SHAPE', 'every scan row must have the same token count');
    const p = meta.position;
    const dir = this.dir!;
    // At an S token the logits are the model's own action prediction (the only one of a last-position
    // run); elsewhere W_U x + b.
    const preds = res.actionPreds;
    const t = tokenKind(p) !== 'S' ? -1 : x.shape[1] < P ? 0 : (p - 1) / 3;
    const Tp = preds?.shape[1] ?? 0;
    rows.forEach((row, b) => {
      const off = positionOffset(x, b, p, P);
      for (let a = 0; a < A; a++)
        this.logits[row * A + a] =
          t >= 0 && t < Tp
            ? preds!.data[(b * Tp + t) * A + a]
            : dot(x.data, off, W.data.subarray(a * d, (a + 1) * d)) + (bias ? bias.data[a] : 0);
      this.logitDiff[row] = dot(x.data, off, dir);
    });
    const attributions = logitDiffAttributions(res.cache!, model, p, dir, {
      applyLn: this.lnScaled,
      levels: this.levels,
    });
    for (const level of this.levels) {
      const a = attributions[level]!;
      const target = (this.decomposition[level] ??= {
        labels: a.labels,
        values: a.labels.map(() => Array<number>(n).fill(0)),
        lnScaled: this.lnScaled,
      });
      a.values.forEach((v, c) => rows.forEach((row, b) => (target.values[c][row] = v[b])));
    }
    if (this.attention) this.readAttention(res, rows);
    this.done += rows.length;
  }

  /**
   * True when the read-out needs only the last token of a P-token window (the read position is the last
   * token, an S token, and no attention is read), so rows can run as last-position runs.
   */
  readsLastTokenOnly(P: number): boolean {
    const p = resolveIndex(this.readout.position ?? lastStatePosition(P), P, 'token position');
    return p === P - 1 && tokenKind(p) === 'S' && this.readout.attention === undefined;
  }

  result(): ScanRows {
    check(this.meta && this.done === this.n, 'BAD_INPUT', `the scan read ${this.done} of ${this.n} rows`);
    const A = this.logits.length / this.n;
    const probabilities = this.logits.slice();
    softmaxRowsInPlace(probabilities, A);
    return {
      ...this.meta,
      logits: { shape: [this.n, A], data: this.logits },
      probabilities: { shape: [this.n, A], data: probabilities },
      logitDiff: this.logitDiff,
      decomposition: this.decomposition,
      ...(this.attention && { attention: this.attention }),
    };
  }

  /** Position, direction, labels and the attention buffers, from the first chunk. */
  private init(res: RunResult, P: number, A: number): NonNullable<ScanReader['meta']> {
    const { readout, n } = this;
    const p = resolveIndex(readout.position ?? lastStatePosition(P), P, 'token position');
    const dir = logitDirection(res.cache!, readout.direction ?? DEFAULT_LOGIT_DIRECTION);
    const labels = tokenLabels(P);
    this.dir = dir.vector;
    this.meta = {
      n,
      position: p,
      tokenLabel: labels[p],
      tokenLabels: labels,
      actionNames: Array.from({ length: A }, (_, a) => actionName(a)),
      direction: { positive: dir.positive, negative: dir.negative, label: dir.label },
    };
    if (readout.attention) {
      const { nLayers: L, nHeads: H } = this.model.arch;
      const q = resolveIndex(readout.attention.query ?? p, P, 'query position');
      const empty = () => ({ shape: [L * H, n, P], data: new Float32Array(L * H * n * P) });
      this.attention = {
        query: q,
        queryLabel: labels[q],
        heads: Array.from({ length: L * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`),
        weighting: readout.attention.weighting ?? 'key',
        pattern: empty(),
        weighted: empty(),
      };
    }
    return this.meta;
  }

  /** The query row of every head's pattern and its value-weighted version, for a chunk's rows. */
  private readAttention(res: RunResult, rows: readonly number[]): void {
    const at = this.attention!;
    const { nLayers: L, nHeads: H } = this.model.arch;
    const [, P] = res.transformerOut.shape;
    const q = at.query;
    for (let l = 0; l < L; l++) {
      const pattern = res.cache!.get(`blocks.${l}.attn.hook_pattern`).data; // [B, H, P, P]
      const v = res.cache!.get(`blocks.${l}.attn.hook_v`);
      rows.forEach((row, b) => {
        for (let h = 0; h < H; h++) {
          const norms = valueNorms(v, b, h);
          const src = ((b * H + h) * P + q) * P;
          const dst = ((l * H + h) * this.n + row) * P;
          for (let k = 0; k < P; k++) {
            const a = pattern[src + k];
            at.pattern.data[dst + k] = a;
            at.weighted.data[dst + k] = a * norms[at.weighting === 'key' ? k : q];
          }
        }
      });
    }
  }
}

/**
 * Runs the scan's input variants in chunks (`forEachChunk`) and reads each at one position; when the
 * read-out needs only the last token, as last-position runs.
 */
export async function runScan(
  model: DecisionTransformer,
  variants: ScanVariants,
  readout: ScanReadout = {},
  control?: JobControl,
): Promise<ScanRows> {
  const reader = new ScanReader(model, variants.n, readout);
  const cache = scanCacheFilter(readout);
  await forEachChunk(variants.n, control, (start, end) => {
    const tokens = variants.tokens(start, end);
    const res = model.runFromTokens(tokens, {
      cache,
      noActions: variants.noActions,
      lastPositionOnly: reader.readsLastTokenOnly(tokens.shape[1]),
    });
    reader.read(
      res,
      Array.from({ length: end - start }, (_, i) => start + i),
    );
  });
  return reader.result();
}
