/**
 * Head composition (TransformerLens `all_composition_scores`): for every writer head (l1, h1) and
 * reader head (l2, h2) with l1 < l2, `‖W_OV¹ · B²‖_F / (‖W_OV¹‖_F ‖B²‖_F)` with B = W_QK (Q composition),
 * W_QKᵀ (K) or W_OV (V); other entries are 0 as in TL. Scores come from d×d Grams of the thin factors.
 * The baseline is the same score between random Gaussian factors of the same shapes.
 */
import { check } from '../../errors.ts';
import type { NdArray } from '../dynamic/run.ts';
import {
  type Baseline,
  type Gram,
  type Operator,
  baselineFor,
  gramScore,
  readerGram,
  shapeOf,
  writerGram,
} from './grams.ts';
import { normalSampler, transpose } from './linalg.ts';
import { type WeightsModel, eachHead, headIn, headLabels, headOut } from './model.ts';

export const COMPOSITION_TYPES = ['Q', 'K', 'V'] as const;
export type CompositionType = (typeof COMPOSITION_TYPES)[number];

export interface CompositionOptions {
  /** Random pairs for the baseline (default 100) */
  baselineSamples?: number;
  /** Seed of the baseline's Gaussian samples (default 0) */
  seed?: number;
}

export interface CompositionResult {
  heads: string[];
  nLayers: number;
  nHeads: number;
  /** [L, H, L, H] per type: writer (l1, h1), reader (l2, h2); 0 unless l1 < l2 */
  scores: Record<CompositionType, NdArray>;
  /** Random-matrix baseline per type (the shapes are identical, so it is one baseline) */
  baseline: Record<CompositionType, Baseline>;
}

/** The operator a head reads with for one composition type (reader side). */
export function headReader(m: WeightsModel, l: number, h: number, type: CompositionType): Operator {
  const q = () => headIn(m, l, h, 'W_Q');
  const k = () => headIn(m, l, h, 'W_K');
  if (type === 'Q') return { left: q(), right: transpose(k()) };
  if (type === 'K') return { left: k(), right: transpose(q()) };
  return { left: headIn(m, l, h, 'W_V'), right: headOut(m, l, h) };
}

/** A head's OV as a writer. */
export const headWriter = (m: WeightsModel, l: number, h: number): Operator => ({
  left: headIn(m, l, h, 'W_V'),
  right: headOut(m, l, h),
});

export function compositionScores(m: WeightsModel, options: CompositionOptions = {}): CompositionResult {
  const { nLayers: L, nHeads: H } = m.arch;
  const heads = eachHead(m.arch);
  const writers: Gram[] = heads.map(({ l, h }) => writerGram(headWriter(m, l, h)));
  const normal = normalSampler(options.seed ?? 0);
  const samples = options.baselineSamples ?? 100;
  check(
    Number.isInteger(samples) && samples >= 2,
    'BAD_INPUT',
    `baseline samples must be an integer >= 2, got ${samples}`,
  );
  const scores = {} as Record<CompositionType, NdArray>;
  const baseline = {} as Record<CompositionType, Baseline>;
  // Q, K and V readers have the same factor shapes, so one baseline serves all three.
  const shared = baselineFor(
    shapeOf(headWriter(m, 0, 0), 'writer'),
    shapeOf(headReader(m, 0, 0, 'Q'), 'reader'),
    samples,
    normal,
  );
  for (const type of COMPOSITION_TYPES) {
    const readers = heads.map(({ l, h }) => (l > 0 ? readerGram(headReader(m, l, h, type)) : null));
    const data = new Float32Array(L * H * L * H);
    heads.forEach((w, i) =>
      heads.forEach((r, j) => {
        if (w.l < r.l) data[i * L * H + j] = gramScore(writers[i], readers[j]!);
      }),
    );
    scores[type] = { shape: [L, H, L, H], data };
    baseline[type] = shared;
  }
  return { heads: headLabels(m.arch), nLayers: L, nHeads: H, scores, baseline };
}

export interface CompositionEdge {
  type: CompositionType;
  writer: string;
  reader: string;
  score: number;
  /** score − baseline mean */
  excess: number;
}

/** Every (writer, reader, type) with l1 < l2, highest score first. */
export function compositionEdges(r: CompositionResult): CompositionEdge[] {
  const n = r.nLayers * r.nHeads;
  const edges: CompositionEdge[] = [];
  for (const type of COMPOSITION_TYPES)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (Math.floor(i / r.nHeads) >= Math.floor(j / r.nHeads)) continue;
        const score = r.scores[type].data[i * n + j];
        edges.push({
          type,
          writer: r.heads[i],
          reader: r.heads[j],
          score,
          excess: score - r.baseline[type].mean,
        });
      }
  return edges.sort((a, b) => b.score - a.score);
}

/** The top n edges, optionally only those whose writer or reader contains `search` (case-insensitive). */
export function topCompositions(r: CompositionResult, n = 10, search = ''): CompositionEdge[] {
  check(Number.isInteger(n) && n >= 1, 'BAD_INPUT', `top-N needs a positive integer, got ${n}`);
  const q = search.trim().toLowerCase();
  const match = (e: CompositionEdge) => !q || `${e.type} ${e.writer} ${e.reader}`.toLowerCase().includes(q);
  return compositionEdges(r).filter(match).slice(0, n);
}

export interface CompositionGraph {
  /** Heads with their layer and head index */
  nodes: { id: string; layer: number; head: number }[];
  /** Directed writer -> reader edges with score >= threshold, one per type (parallel Q/K/V edges kept) */
  edges: CompositionEdge[];
  threshold: number;
}

/** The directed composition graph above a score threshold (default 0.15, DTI's cutoff). */
export function compositionGraph(r: CompositionResult, threshold = 0.15): CompositionGraph {
  check(Number.isFinite(threshold), 'BAD_INPUT', `the threshold must be a number, got ${threshold}`);
  return {
    nodes: r.heads.map((id, i) => ({ id, layer: Math.floor(i / r.nHeads), head: i % r.nHeads })),
    edges: compositionEdges(r).filter((e) => e.score >= threshold),
    threshold,
  };
}
