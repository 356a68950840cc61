/**
 * Head types: for every head, the attention mass that queries of each kind (R, S, A tokens) put on
 * key categories (RTG tokens, RTG tokens with value > 0, state tokens, action tokens, the previous
 * token, tokens of the same timestep, the first token), averaged over the real (non-padding) queries
 * of a dataset of windows, with its std; each head classified by its dominant pattern: the category
 * with the largest mass at or above `threshold` among the exclusive ones (first, previous, same
 * timestep, RTG, state, action), else `mixed`. One window (a batch of one) gives the per-window version.
 */
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { type TokenKind, tokenKind } from '../../model/tokens.ts';
import { check } from '../../errors.ts';
import type { JobControl } from '../jobs.ts';
import { forEachDatasetChunk, isRealPosition } from './datasetRun.ts';
import type { WindowDataset } from './windowDataset.ts';

export const KEY_CATEGORIES = ['rtg', 'rtg>0', 'state', 'action', 'previous', 'same-step', 'first'] as const;
export type KeyCategory = (typeof KEY_CATEGORIES)[number];
export const QUERY_KINDS: readonly TokenKind[] = ['R', 'S', 'A'];

/** Categories a head can be classified by (they exclude each other on one key, except previous/same-step). */
export const HEAD_TYPES = ['first', 'previous', 'same-step', 'rtg', 'state', 'action'] as const;
export type HeadType = (typeof HEAD_TYPES)[number] | 'mixed';

export interface HeadTypesOptions {
  /** Minimum mean mass for a head type (default 0.5) */
  threshold?: number;
}

export interface HeadTypesResult {
  heads: string[];
  queryKinds: TokenKind[];
  categories: KeyCategory[];
  threshold: number;
  /** [head][queryKind][category] mean attention mass */
  mass: number[][][];
  /** [head][queryKind][category] std over queries */
  std: number[][][];
  /** [queryKind] number of queries averaged */
  queries: number[];
  /** [head] type from the mass of every real query (all kinds together) */
  types: HeadType[];
  /** [head][queryKind] type from that kind's queries */
  typesByQuery: HeadType[][];
}

/** Whether key k is in `category` for query q (rtgs: the window's RTG of each timestep). */
function inCategory(category: KeyCategory, q: number, k: number, rtgOf: (t: number) => number): boolean {
  switch (category) {
    case 'rtg':
      return tokenKind(k) === 'R';
    case 'rtg>0':
      return tokenKind(k) === 'R' && rtgOf(Math.floor(k / 3)) > 0;
    case 'state':
      return tokenKind(k) === 'S';
    case 'action':
      return tokenKind(k) === 'A';
    case 'previous':
      return k === q - 1;
    case 'same-step':
      return Math.floor(k / 3) === Math.floor(q / 3);
    case 'first':
      return k === 0;
  }
}

/** Accumulates per (head, query kind, category) sums of masses over queries. */
class MassMoments {
  readonly sum: Float64Array;
  readonly sq: Float64Array;
  readonly all: Float64Array;
  readonly count = [0, 0, 0];
  constructor(private readonly nHeads: number) {
    const size = nHeads * 3 * KEY_CATEGORIES.length;
    this.sum = new Float64Array(size);
    this.sq = new Float64Array(size);
    this.all = new Float64Array(nHeads * KEY_CATEGORIES.length);
  }

  /** Adds one query row of every head: patterns [L*H] rows of length P (keys). */
  addQuery(rowOf: (head: number) => Float32Array, q: number, rtgOf: (t: number) => number): void {
    const kind = QUERY_KINDS.indexOf(tokenKind(q));
    const C = KEY_CATEGORIES.length;
    this.count[kind]++;
    for (let h = 0; h < this.nHeads; h++) {
      const row = rowOf(h);
      KEY_CATEGORIES.forEach((cat, c) => {
        let m = 0;
        for (let k = 0; k <= q; k++) if (inCategory(cat, q, k, rtgOf)) m += row[k];
        const i = (h * 3 + kind) * C + c;
        this.sum[i] += m;
        this.sq[i] += m * m;
        this.all[h * C + c] += m;
      });
    }
  }
}

function classify(masses: readonly number[], threshold: number): HeadType {
  let best: HeadType = 'mixed';
  let bestMass = -Infinity;
  for (const type of HEAD_TYPES) {
    const m = masses[KEY_CATEGORIES.indexOf(type)];
    if (m >= threshold && m > bestMass) [best, bestMass] = [type, m];
  }
  return best;
}

function finish(acc: MassMoments, L: number, H: number, threshold: number): HeadTypesResult {
  const C = KEY_CATEGORIES.length;
  const heads = Array.from({ length: L * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`);
  const grid = (f: (i: number, n: number) => number) =>
    heads.map((_, h) =>
      QUERY_KINDS.map((_, kind) =>
        KEY_CATEGORIES.map((_, c) => {
          const n = acc.count[kind];
          return n > 0 ? f((h * 3 + kind) * C + c, n) : 0;
        }),
      ),
    );
  const mass = grid((i, n) => acc.sum[i] / n);
  const std = grid((i, n) => Math.sqrt(Math.max(0, acc.sq[i] / n - (acc.sum[i] / n) ** 2)));
  const total = acc.count.reduce((a, v) => a + v, 0);
  return {
    heads,
    queryKinds: [...QUERY_KINDS],
    categories: [...KEY_CATEGORIES],
    threshold,
    mass,
    std,
    queries: [...acc.count],
    types: heads.map((_, h) =>
      classify(
        KEY_CATEGORIES.map((_, c) => acc.all[h * C + c] / Math.max(1, total)),
        threshold,
      ),
    ),
    typesByQuery: mass.map((byKind) =>
      byKind.map((m, kind) => (acc.count[kind] > 0 ? classify(m, threshold) : 'mixed')),
    ),
  };
}

/** Reads every real query of a chunk's patterns into the accumulator. */
function accumulate(
  acc: MassMoments,
  patterns: Float32Array[],
  H: number,
  B: number,
  P: number,
  isReal: (b: number, p: number) => boolean,
  rtgs: Float32Array,
  T: number,
): void {
  for (let b = 0; b < B; b++)
    for (let q = 0; q < P; q++) {
      if (!isReal(b, q)) continue;
      acc.addQuery(
        (head) => {
          const l = Math.floor(head / H);
          const off = ((b * H + (head % H)) * P + q) * P;
          return patterns[l].subarray(off, off + P);
        },
        q,
        (t) => rtgs[b * T + t],
      );
    }
}

const thresholdOf = (o: HeadTypesOptions) => {
  const t = o.threshold ?? 0.5;
  check(t > 0 && t <= 1, 'BAD_INPUT', `the head-type threshold must be in (0, 1], got ${t}`);
  return t;
};

/** Head types over a dataset of windows. */
export async function headTypes(
  model: DecisionTransformer,
  ds: WindowDataset,
  options: HeadTypesOptions = {},
  control?: JobControl,
): Promise<HeadTypesResult> {
  const threshold = thresholdOf(options);
  const { nLayers: L, nHeads: H } = model.arch;
  const acc = new MassMoments(L * H);
  const T = ds.maxLen;
  await forEachDatasetChunk(
    model,
    ds,
    (n) => n.endsWith('attn.hook_pattern'),
    control,
    (run, ids) => {
      const start = ids[0]; // consecutive windows
      const [B, P] = run.transformerOut.shape;
      const patterns = Array.from(
        { length: L },
        (_, l) => run.cache!.get(`blocks.${l}.attn.hook_pattern`).data,
      );
      accumulate(
        acc,
        patterns,
        H,
        B,
        P,
        (b, p) => isRealPosition(ds, start + b, p),
        ds.inputs.rtgs.subarray(start * T),
        T,
      );
    },
  );
  return finish(acc, L, H, threshold);
}

/**
 * Head types from attention patterns already computed: `patterns[l]` [B, H, P, P] per layer, the
 * windows' RTGs [B, T], and which (window, query) pairs count (default all).
 */
export function headTypesFromPatterns(
  patterns: Float32Array[],
  shape: { B: number; H: number; P: number; T: number },
  rtgs: Float32Array,
  options: HeadTypesOptions & { isReal?: (b: number, p: number) => boolean } = {},
): HeadTypesResult {
  const threshold = thresholdOf(options);
  const { B, H, P, T } = shape;
  const L = patterns.length;
  const acc = new MassMoments(L * H);
  accumulate(acc, patterns, H, B, P, options.isReal ?? (() => true), rtgs, T);
  return finish(acc, L, H, threshold);
}

/** Head types of one window (every query position counts). */
export function windowHeadTypes(
  model: DecisionTransformer,
  window: DTInputs,
  options: HeadTypesOptions = {},
): HeadTypesResult {
  const [B, T] = window.states.shape;
  check(B === 1, 'BAD_SHAPE', `expected one window, got a batch of ${B}`);
  const run = model.run(window, { cache: (n) => n.endsWith('attn.hook_pattern') });
  const P = run.transformerOut.shape[1];
  const { nLayers: L, nHeads: H } = model.arch;
  const patterns = Array.from({ length: L }, (_, l) => run.cache!.get(`blocks.${l}.attn.hook_pattern`).data);
  return headTypesFromPatterns(patterns, { B: 1, H, P, T }, window.rtgs, options);
}
