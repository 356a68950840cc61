/**
 * Meta-composition (total influence). Every residual writer (embeddings, head OVs, MLP W_outs) is
 * scored against every later reader (head Q/K/V inputs, MLP W_in/W_gate, the action predictor) with
 * the composition score `‖W R‖_F / (‖W‖_F ‖R‖_F)`; each pair's baseline is the mean and 95% band of the
 * same score between Gaussian matrices of the same shapes. A writer's **total influence** is the sum,
 * over all later readers, of its excess over the baseline mean, counting only positive excesses:
 * `Σ_R max(0, score(W, R) − mean_baseline(W, R))`.
 */
import { check } from '../../errors.ts';
import type { NdArray } from '../dynamic/run.ts';
import {
  type Baseline,
  type Gram,
  gramScore,
  randomReaderGram,
  randomWriterGram,
  readerGram,
  shapeOf,
  summarise,
  writerGram,
} from './grams.ts';
import { normalSampler } from './linalg.ts';
import type { WeightsModel } from './model.ts';
import { type PlacedOperator, residualReaders, residualWriters } from './operators.ts';

export interface MetaCompositionOptions {
  /** Random samples per operator shape for the baselines (default 32) */
  baselineSamples?: number;
  seed?: number;
}

export interface MetaCompositionResult {
  writers: { label: string; kind: string; layer: number }[];
  readers: { label: string; kind: string; layer: number }[];
  /** [nWriters, nReaders] composition scores (every pair, also non-causal ones) */
  scores: NdArray;
  /** [nWriters, nReaders]: 1 where the writer comes before the reader */
  later: NdArray;
  /** Baseline per pair, indexed [writer * nReaders + reader] */
  baselines: Baseline[];
  /** [nWriters] Σ over later readers of max(0, score − baseline mean) */
  totalInfluence: number[];
}

const key = (s: readonly number[]) => s.join('x');

export function metaComposition(
  m: WeightsModel,
  options: MetaCompositionOptions = {},
): MetaCompositionResult {
  const samples = options.baselineSamples ?? 32;
  check(
    Number.isInteger(samples) && samples >= 2,
    'BAD_INPUT',
    `baseline samples must be an integer >= 2, got ${samples}`,
  );
  const writers = residualWriters(m);
  const readers = residualReaders(m);
  const wGrams = writers.map((w) => writerGram(w.op, m.gemm));
  const rGrams = readers.map((r) => readerGram(r.op, m.gemm));
  const normal = normalSampler(options.seed ?? 0);
  // Random Grams per distinct shape, shared by every pair with that shape (sample i with sample i).
  const sampled = new Map<string, Gram[]>();
  const randomGrams = (o: PlacedOperator, role: 'writer' | 'reader'): Gram[] => {
    const s = shapeOf(o.op, role);
    const k = `${role}:${key(s)}`;
    let g = sampled.get(k);
    if (!g) {
      g = Array.from({ length: samples }, () =>
        role === 'writer' ? randomWriterGram(s, normal, m.gemm) : randomReaderGram(s, normal, m.gemm),
      );
      sampled.set(k, g);
    }
    return g;
  };
  const pairBaselines = new Map<string, Baseline>();
  const nW = writers.length;
  const nR = readers.length;
  const scores = new Float32Array(nW * nR);
  const later = new Float32Array(nW * nR);
  const baselines: Baseline[] = [];
  const totalInfluence = writers.map(() => 0);
  writers.forEach((w, i) =>
    readers.forEach((r, j) => {
      const score = gramScore(wGrams[i], rGrams[j]);
      scores[i * nR + j] = score;
      const k = `${key(shapeOf(w.op, 'writer'))}|${key(shapeOf(r.op, 'reader'))}`;
      let b = pairBaselines.get(k);
      if (!b) {
        const ws = randomGrams(w, 'writer');
        const rs = randomGrams(r, 'reader');
        b = summarise(ws.map((g, s) => gramScore(g, rs[s])));
        pairBaselines.set(k, b);
      }
      baselines.push(b);
      if (w.stage < r.stage) {
        later[i * nR + j] = 1;
        totalInfluence[i] += Math.max(0, score - b.mean);
      }
    }),
  );
  const describe = (o: PlacedOperator) => ({ label: o.label, kind: o.kind, layer: o.layer });
  return {
    writers: writers.map(describe),
    readers: readers.map(describe),
    scores: { shape: [nW, nR], data: scores },
    later: { shape: [nW, nR], data: later },
    baselines,
    totalInfluence,
  };
}
