/**
 * Linear probes: for each hook point (read at one token kind) and each label, a multinomial logistic
 * probe on standardised activations, scored on held-out episodes, with three controls:
 * - a sparse probe on the k features with the largest ANOVA F statistic (train rows only);
 * - the same probe trained on shuffled labels (its held-out accuracy must sit at chance);
 * - a probe on k random directions (what any k-dimensional projection gives).
 * Chance is the majority-class share of the held-out rows with a 95% interval. All fits of one hook
 * share GEMMs (`softmaxRegression.ts`).
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { npRandom } from '../../env/index.ts';
import { normalSampler } from '../../train/init.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { type ActivationTable, type PositionKind, collectActivations } from './activations.ts';
import type { ProbeLabel, ProbeSet } from './probeSet.ts';
import {
  type FitOptions,
  type LabelBlock,
  type SoftmaxModel,
  fitSoftmax,
  predictSoftmax,
} from './softmaxRegression.ts';

export interface ProbeOptions extends FitOptions {
  /** Share of episodes held out (default 0.2). */
  testFraction?: number;
  /** Features of the sparse probe and random directions of the control (default 8). */
  k?: number;
  /** Seed of the split, the shuffled labels and the random directions (default 0). */
  seed?: number;
}

/** Train/test rows split by episode. */
export interface Split {
  /** Train rows in a seeded random order (the minibatch order of every fit). */
  train: Int32Array;
  test: Int32Array;
  /** [N] episode of every row */
  episode: Int32Array;
}

/** Held-out accuracy at chance: majority share and its 95% interval (normal approximation). */
export interface Chance {
  majority: number;
  low: number;
  high: number;
}

export interface ProbeScore {
  hook: string;
  label: string;
  nTrain: number;
  nTest: number;
  /** Held-out accuracy of the logistic probe on all features. */
  accuracy: number;
  trainAccuracy: number;
  sparse: { k: number; features: number[]; accuracy: number };
  /** Held-out accuracy (true labels) of the probe trained on shuffled labels. */
  shuffled: number;
  /** Held-out accuracy of the probe on k random directions. */
  randomDirections: number;
  chance: Chance;
}

/** A fitted probe in raw activation units: logits = x · W + b with W = W_std / std, b adjusted. */
export interface ProbeDirection {
  hook: string;
  label: string;
  classes: string[];
  /** [d, C] */
  W: Float32Array;
  b: Float32Array;
  /** Mean L2 norm of the activations the probe read (units for steering coefficients). */
  meanNorm: number;
}

export interface ProbeSweepResult {
  position: PositionKind;
  hooks: string[];
  labels: { name: string; classes: string[] }[];
  nWindows: number;
  scores: ProbeScore[];
  directions: ProbeDirection[];
}

/** Held-out rows: a seeded random `testFraction` of the episodes (never split inside an episode). */
export function episodeSplit(episode: Int32Array, testFraction: number, seed: number): Split {
  check(
    testFraction > 0 && testFraction < 1,
    'BAD_INPUT',
    `test fraction must be in (0, 1), got ${testFraction}`,
  );
  const ids = [...new Set(episode)];
  check(ids.length >= 2, 'BAD_INPUT', 'a held-out split needs at least two episodes');
  const rng = npRandom(seed);
  const held = new Set(ids.filter(() => rng.random() < testFraction));
  if (held.size === 0) held.add(ids[ids.length - 1]);
  if (held.size === ids.length) held.delete(ids[0]);
  const rows = Array.from(episode.keys());
  const train = rows.filter((i) => !held.has(episode[i]));
  for (let i = train.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [train[i], train[j]] = [train[j], train[i]];
  }
  return {
    train: Int32Array.from(train),
    test: Int32Array.from(rows.filter((i) => held.has(episode[i]))),
    episode,
  };
}

/** Probes every hook point × label of a probe set (activations collected in one chunked pass). */
export async function probeSweep(
  model: DecisionTransformer,
  set: ProbeSet,
  hooks: readonly string[],
  position: PositionKind,
  options: ProbeOptions = {},
  control?: JobControl,
): Promise<ProbeSweepResult> {
  const tables = await collectActivations(model, set, hooks, position, control);
  const split = episodeSplit(set.episode, options.testFraction ?? 0.2, options.seed ?? 0);
  const scores: ProbeScore[] = [];
  const directions: ProbeDirection[] = [];
  await forEachChunk(tables.length, { ...control, chunkRows: 1 }, (i) => {
    const fitted = fitProbes(model.gemm, tables[i], set.labels, split, options);
    scores.push(...fitted.scores);
    directions.push(...fitted.directions);
  });
  return {
    position,
    hooks: [...hooks],
    labels: set.labels.map((l) => ({ name: l.name, classes: l.classes })),
    nWindows: set.n,
    scores,
    directions,
  };
}

/** Standardisation of X [N, d] by train-row means and standard deviations (constant features: std 1). */
function standardise(X: Float32Array, d: number, train: Int32Array) {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const r of train)
    for (let j = 0; j < d; j++) {
      const v = X[r * d + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] /= train.length;
    const v = sq[j] / train.length - mean[j] * mean[j];
    std[j] = v > 1e-12 ? Math.sqrt(v) : 1;
  }
  const Z = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) Z[i] = (X[i] - mean[i % d]) / std[i % d];
  return { Z, mean, std };
}

/** Share of `rows` (with a label) whose prediction matches. */
function accuracyOf(pred: Int32Array, y: Int32Array, rows: Int32Array): number {
  let hit = 0;
  let n = 0;
  rows.forEach((r, i) => {
    if (y[r] < 0) return;
    n++;
    if (pred[i] === y[r]) hit++;
  });
  return n ? hit / n : NaN;
}

/**
 * Chance for one label: `majority` is the held-out accuracy of always answering the train rows' most
 * frequent class; the interval runs from guessing with the train class shares (minus 1.96 standard
 * errors) to the majority answer (plus 1.96 standard errors). A probe that learned nothing lands in it.
 * Windows of one episode are correlated, so the standard error counts held-out episodes, not windows.
 */
export function chanceOf(label: ProbeLabel, split: Split): Chance {
  const shares = (rows: Int32Array) => {
    const counts = new Array<number>(label.classes.length).fill(0);
    let n = 0;
    for (const r of rows)
      if (label.values[r] >= 0) {
        counts[label.values[r]]++;
        n++;
      }
    return { p: counts.map((c) => (n ? c / n : 0)), n };
  };
  const train = shares(split.train);
  const test = shares(split.test);
  if (test.n === 0) return { majority: NaN, low: NaN, high: NaN };
  const nEff = new Set(Array.from(split.test, (r) => split.episode[r])).size;
  const top = train.p.indexOf(Math.max(...train.p));
  const majority = test.p[top];
  const guess = test.p.reduce((a, p, c) => a + p * train.p[c], 0);
  const se = (p: number) => 1.96 * Math.sqrt(Math.max(p * (1 - p), 0.25 / nEff) / nEff);
  return {
    majority,
    low: Math.max(0, Math.min(guess, majority) - se(Math.min(guess, majority))),
    high: Math.min(1, Math.max(guess, majority) + se(Math.max(guess, majority))),
  };
}

/** ANOVA F statistic of each feature of Z [N, d] for one label on the train rows; top k indices. */
export function topFeatures(
  Z: Float32Array,
  d: number,
  label: ProbeLabel,
  train: Int32Array,
  k: number,
): number[] {
  const C = label.classes.length;
  const sum = new Float64Array(C * d);
  const count = new Float64Array(C);
  const total = new Float64Array(d);
  const sq = new Float64Array(d);
  let n = 0;
  for (const r of train) {
    const c = label.values[r];
    if (c < 0) continue;
    n++;
    count[c]++;
    for (let j = 0; j < d; j++) {
      const v = Z[r * d + j];
      sum[c * d + j] += v;
      total[j] += v;
      sq[j] += v * v;
    }
  }
  const f = Array.from({ length: d }, (_, j) => {
    const grand = total[j] / Math.max(1, n);
    let between = 0;
    for (let c = 0; c < C; c++) if (count[c]) between += (sum[c * d + j] / count[c] - grand) ** 2 * count[c];
    const within = sq[j] - n * grand * grand - between;
    return within > 1e-12 ? between / within : between > 0 ? Infinity : 0;
  });
  return Array.from(f.keys())
    .sort((a, b) => f[b] - f[a] || a - b)
    .slice(0, Math.min(k, d));
}

/** Columns `cols` of Z [N, d] as [N, cols.length]. */
function selectColumns(Z: Float32Array, d: number, cols: readonly number[]): Float32Array {
  const N = Z.length / d;
  const out = new Float32Array(N * cols.length);
  for (let i = 0; i < N; i++) cols.forEach((c, j) => (out[i * cols.length + j] = Z[i * d + c]));
  return out;
}

/** Fits the probes and controls of one hook point for every label. */
export function fitProbes(
  gemm: Gemm,
  table: ActivationTable,
  labels: readonly ProbeLabel[],
  split: Split,
  options: ProbeOptions = {},
): { scores: ProbeScore[]; directions: ProbeDirection[] } {
  const { width: d, data: X } = table;
  const k = options.k ?? 8;
  check(Number.isInteger(k) && k >= 1, 'BAD_INPUT', `k must be a positive integer, got ${k}`);
  const seed = options.seed ?? 0;
  const { Z, mean, std } = standardise(X, d, split.train);
  const blocks: LabelBlock[] = labels.map((l) => ({ classes: l.classes.length, y: l.values }));
  // The probe and its shuffled-label control share the features, so they are fitted as one model.
  const shuffled = blocks.map((b, i) => ({ ...b, y: shuffledLabels(b.y, split.train, seed + 1 + i) }));
  const probe = fitSoftmax(gemm, Z, d, split.train, [...blocks, ...shuffled], options);
  const testPred = predictSoftmax(gemm, probe, Z, split.test);
  const trainPred = predictSoftmax(gemm, probe, Z, split.train);
  const shuffledPred = testPred.slice(labels.length);

  // The sparse probes (k best features per label) and the random-direction controls (k Gaussian
  // projections shared by every label) read disjoint column groups of one matrix, fitted as one masked model.
  const features = labels.map((label) => topFeatures(Z, d, label, split.train, k));
  const normal = normalSampler(npRandom(seed + 7919));
  const R = Float32Array.from({ length: d * k }, normal);
  const Zr = gemm.matmul(Z, R, Z.length / d, d, k);
  const groups = [...features.map((f) => selectColumns(Z, d, f)), Zr];
  const widths = [...features.map((f) => f.length), k];
  const D = widths.reduce((a, w) => a + w, 0);
  const N = Z.length / d;
  const small = new Float32Array(N * D);
  let col = 0;
  groups.forEach((g, gi) => {
    const w = widths[gi];
    for (let i = 0; i < N; i++) small.set(g.subarray(i * w, (i + 1) * w), i * D + col);
    col += w;
  });
  const smallBlocks = [...blocks, ...blocks];
  const C = smallBlocks.reduce((a, b) => a + b.classes, 0);
  const mask = new Uint8Array(D * C);
  const starts = widths.map((_, gi) => widths.slice(0, gi).reduce((a, w) => a + w, 0));
  let c0 = 0;
  smallBlocks.forEach((b, bi) => {
    const gi = bi < labels.length ? bi : labels.length;
    for (let j = starts[gi]; j < starts[gi] + widths[gi]; j++)
      mask.fill(1, j * C + c0, j * C + c0 + b.classes);
    c0 += b.classes;
  });
  const smallPred = predictSoftmax(
    gemm,
    fitSoftmax(gemm, small, D, split.train, smallBlocks, { ...options, mask }),
    small,
    split.test,
  );
  const sparsePreds = smallPred.slice(0, labels.length);
  const randomPred = smallPred.slice(labels.length);

  let norm = 0;
  for (let i = 0; i < X.length / d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j] ** 2;
    norm += Math.sqrt(s);
  }
  const meanNorm = norm / (X.length / d);

  const scores = labels.map((label, i): ProbeScore => {
    const labelled = (rows: Int32Array) => rows.filter((r) => label.values[r] >= 0).length;
    return {
      hook: table.hook,
      label: label.name,
      nTrain: labelled(split.train),
      nTest: labelled(split.test),
      accuracy: accuracyOf(testPred[i], label.values, split.test),
      trainAccuracy: accuracyOf(trainPred[i], label.values, split.train),
      sparse: {
        k: features[i].length,
        features: features[i],
        accuracy: accuracyOf(sparsePreds[i], label.values, split.test),
      },
      shuffled: accuracyOf(shuffledPred[i], label.values, split.test),
      randomDirections: accuracyOf(randomPred[i], label.values, split.test),
      chance: chanceOf(label, split),
    };
  });
  const directions = labels.map((label, i) => rawDirection(table.hook, label, probe, i, mean, std, meanNorm));
  return { scores, directions };
}

/** Block i of a probe on standardised features as weights on raw activations. */
function rawDirection(
  hook: string,
  label: ProbeLabel,
  m: SoftmaxModel,
  i: number,
  mean: Float64Array,
  std: Float64Array,
  meanNorm: number,
): ProbeDirection {
  const lo = m.offsets[i];
  const C = m.offsets[i + 1] - lo;
  const total = m.offsets[m.offsets.length - 1];
  const W = new Float32Array(m.d * C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let bias = m.b[lo + c];
    for (let j = 0; j < m.d; j++) {
      const w = m.W[j * total + lo + c] / std[j];
      W[j * C + c] = w;
      bias -= w * mean[j];
    }
    b[c] = bias;
  }
  return { hook, label: label.name, classes: label.classes, W, b, meanNorm };
}

/** Labels of the train rows permuted among themselves (others unchanged). */
function shuffledLabels(y: Int32Array, train: Int32Array, seed: number): Int32Array {
  const out = Int32Array.from(y);
  const vals = Array.from(train, (r) => y[r]);
  const rng = npRandom(seed);
  for (let i = vals.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [vals[i], vals[j]] = [vals[j], vals[i]];
  }
  train.forEach((r, i) => (out[r] = vals[i]));
  return out;
}
