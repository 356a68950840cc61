/**
 * Attention patterns and scores of every head (DTI "Attention Pattern", CircuitsVis-style data), with
 * token labels, optional value weighting and per-head summary statistics.
 *
 * Value weighting multiplies `pattern[q, k]` by the norm of the KEY's value vector `‖v[k]‖` (how much
 * each source position can actually move); `dti-compat` reproduces DTI's broadcasting bug, which uses
 * the query's value norm `‖v[q]‖` (`dti_spec.md` §9 item 4). Scores are TL's `hook_attn_scores`: scaled
 * by 1/√d_head, masked entries (key after query) set to −1e5.
 */
import { check } from '../../errors.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { type AnalysisRun, type NdArray, resolveIndex, runDims } from './run.ts';
import { type TokenKind, lastStatePosition, tokenKind } from '../../model/tokens.ts';

export type AttentionValues = 'pattern' | 'scores';
export type ValueWeighting = 'none' | 'key' | 'dti-compat';

export interface AttentionOptions {
  /** default 'pattern' */
  values?: AttentionValues;
  /** default 'none'; only for patterns */
  valueWeighting?: ValueWeighting;
  batch?: number;
  /** Query position of the per-head `atQuery` statistics (default: the last S token). */
  query?: number;
}

/** Entropy (nats) of an attention row and its mass on R, S and A tokens. */
export interface RowStats {
  entropy: number;
  mass: Record<TokenKind, number>;
}

export interface HeadSummary {
  layer: number;
  head: number;
  label: string;
  /** The row of the chosen query */
  atQuery: RowStats;
  /** Averaged over every query position */
  mean: RowStats;
}

export interface AttentionResult {
  values: AttentionValues;
  valueWeighting: ValueWeighting;
  batch: number;
  query: number;
  tokenLabels: string[];
  nLayers: number;
  nHeads: number;
  /** `L{l}H{h}`, layer-major */
  headLabels: string[];
  /** [L, H, query, key] */
  data: NdArray;
  /** Statistics of the softmax pattern (never value-weighted), one per head, layer-major */
  summaries: HeadSummary[];
}

export function attentionPatterns(run: AnalysisRun, options: AttentionOptions = {}): AttentionResult {
  const values = options.values ?? 'pattern';
  const weighting = options.valueWeighting ?? 'none';
  check(
    values === 'pattern' || weighting === 'none',
    'BAD_INPUT',
    'value weighting applies to attention patterns, not to scores',
  );
  const { B, P } = runDims(run);
  const b = resolveIndex(options.batch ?? 0, B, 'batch index');
  const query = resolveIndex(options.query ?? lastStatePosition(P), P, 'query position');
  const { nLayers: L, nHeads: H } = run.model.arch;
  const block = H * P * P;
  const data = new Float32Array(L * block);
  const summaries: HeadSummary[] = [];
  for (let l = 0; l < L; l++) {
    const slice = (hook: string) =>
      run.cache.get(`blocks.${l}.attn.${hook}`).data.subarray(b * block, (b + 1) * block);
    const pattern = slice('hook_pattern');
    data.set(values === 'pattern' ? pattern : slice('hook_attn_scores'), l * block);
    if (weighting !== 'none') {
      const v = run.cache.get(`blocks.${l}.attn.hook_v`);
      for (let h = 0; h < H; h++) {
        const norms = valueNorms(v, b, h);
        for (let q = 0; q < P; q++)
          for (let k = 0; k < P; k++)
            data[l * block + (h * P + q) * P + k] *= norms[weighting === 'key' ? k : q];
      }
    }
    for (let h = 0; h < H; h++) {
      const head = pattern.subarray(h * P * P, (h + 1) * P * P);
      summaries.push({ layer: l, head: h, label: `L${l}H${h}`, ...headStats(head, P, query) });
    }
  }
  return {
    values,
    valueWeighting: weighting,
    batch: b,
    query,
    tokenLabels: run.tokenLabels,
    nLayers: L,
    nHeads: H,
    headLabels: summaries.map((s) => s.label),
    data: { shape: [L, H, P, P], data },
    summaries,
  };
}

/** ‖v[b, p, h]‖ for every position p of batch row b: the value norms of head h ([B, P, H, dh] hook_v). */
export function valueNorms(v: Tensor, b: number, h: number): Float64Array {
  const [, P, H, dh] = v.shape;
  const norms = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let e = 0; e < dh; e++) s += v.data[((b * P + p) * H + h) * dh + e] ** 2;
    norms[p] = Math.sqrt(s);
  }
  return norms;
}

function rowStats(head: Float32Array, P: number, q: number): RowStats {
  const mass: Record<TokenKind, number> = { R: 0, S: 0, A: 0 };
  let entropy = 0;
  for (let k = 0; k < P; k++) {
    const a = head[q * P + k];
    if (a > 0) entropy -= a * Math.log(a);
    mass[tokenKind(k)] += a;
  }
  return { entropy, mass };
}

function headStats(head: Float32Array, P: number, query: number): Pick<HeadSummary, 'atQuery' | 'mean'> {
  const mean: RowStats = { entropy: 0, mass: { R: 0, S: 0, A: 0 } };
  for (let q = 0; q < P; q++) {
    const r = rowStats(head, P, q);
    mean.entropy += r.entropy / P;
    for (const k of ['R', 'S', 'A'] as const) mean.mass[k] += r.mass[k] / P;
  }
  return { atQuery: rowStats(head, P, query), mean };
}
