/**
 * Linear probes: for each hook point (read at one token kind) and each label, a multinomial linear
 * probe (shrinkage LDA, softmax posterior; `lda.ts`) on standardised activations, scored on held-out
 * episodes, with three controls:
 * - a sparse probe on the k features with the largest between/within-class variance (train rows only);
 * - the same probe trained on shuffled labels (its held-out accuracy must sit at chance);
 * - a probe on k random directions (what any k-dimensional projection gives).
 * Chance is the majority-class share of the held-out rows with a 95% interval. All fits of one hook
 * come from one Gram matrix and per-class sums of its training rows; one GEMM reads them all out.
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
  type LinearClassifier,
  classStats,
  classSums,
  gather,
  gram,
  labelledGram,
  ldaClassifier,
  topFeatures,
} from './lda.ts';

export interface ProbeOptions {
  /** Share of episodes held out (default 0.2). */
  testFraction?: number;
  /** Features of the sparse probe and random directions of the control (default 8). */
  k?: number;
  /** Seed of the split, the shuffled labels and the random directions (default 0). */
  seed?: number;
  /** Label shuffles of the shuffled-label control, whose accuracies are averaged (default 5). */
  shuffles?: number;
  /** Covariance shrinkage towards a multiple of the identity, in [0, 1] (default 0.01). */
  shrinkage?: number;
}

/** Train/test rows split by episode. */
export interface Split {
  /** Train rows in a seeded random order. */
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
  /** Held-out accuracy of the (LDA) probe on all features. */
  accuracy: number;
  trainAccuracy: number;
  sparse: { k: number; features: number[]; accuracy: number };
  /** Held-out accuracy (true labels) of the probe trained on shuffled labels (mean over the shuffles). */
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
  const plan = planProbes(
    set.labels,
    episodeSplit(set.episode, options.testFraction ?? 0.2, options.seed ?? 0),
    options,
  );
  const scores: ProbeScore[] = [];
  const directions: ProbeDirection[] = [];
  await forEachChunk(tables.length, { ...control, chunkRows: 1 }, (i) => {
    const fitted = fitProbes(model.gemm, tables[i], plan);
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
  for (let row = 0; row < X.length; row += d)
    for (let j = 0; j < d; j++) Z[row + j] = (X[row + j] - mean[j]) / std[j];
  return { Z, mean, std };
}

/** Share of `rows` (with a label) whose prediction (`pred` [N], one per row) matches. */
function accuracyOf(pred: Int32Array, y: Int32Array, rows: Int32Array): number {
  let hit = 0;
  let n = 0;
  for (const r of rows) {
    if (y[r] < 0) continue;
    n++;
    if (pred[r] === y[r]) hit++;
  }
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

/**
 * The hook-independent part of a sweep's fits, computed once and shared by every hook point: the
 * options, each label's true and shuffled train labels, chance and labelled row counts, and the random
 * directions of the control (per activation width).
 */
export interface ProbePlan {
  labels: readonly ProbeLabel[];
  split: Split;
  k: number;
  shrinkage: number;
  shuffles: number;
  /** [label][1 + shuffles]: the label's values [N], then its shuffled-label variants [N] */
  variants: Int32Array[][];
  chance: Chance[];
  /** [label] labelled train and held-out rows */
  nTrain: number[];
  nTest: number[];
  /** Random directions R [d, k] for activations of width d (one seeded normal stream per width). */
  randomDirections(d: number): Float32Array;
}

/** The shared part of the fits of `labels` on `split` (see `ProbePlan`). */
export function planProbes(
  labels: readonly ProbeLabel[],
  split: Split,
  options: ProbeOptions = {},
): ProbePlan {
  const k = options.k ?? 8;
  check(Number.isInteger(k) && k >= 1, 'BAD_INPUT', `k must be a positive integer, got ${k}`);
  const seed = options.seed ?? 0;
  const shuffles = options.shuffles ?? 5;
  check(
    Number.isInteger(shuffles) && shuffles >= 1,
    'BAD_INPUT',
    `shuffles must be a positive integer, got ${shuffles}`,
  );
  const labelled = (y: Int32Array, rows: Int32Array) => rows.filter((r) => y[r] >= 0).length;
  const byWidth = new Map<number, Float32Array>();
  return {
    labels,
    split,
    k,
    shrinkage: options.shrinkage ?? 0.01,
    shuffles,
    variants: labels.map((label, i) => [
      label.values,
      ...Array.from({ length: shuffles }, (_, s) =>
        shuffledLabels(label.values, split.train, seed + 1 + i * shuffles + s),
      ),
    ]),
    chance: labels.map((label) => chanceOf(label, split)),
    nTrain: labels.map((label) => labelled(label.values, split.train)),
    nTest: labels.map((label) => labelled(label.values, split.test)),
    randomDirections(d) {
      let R = byWidth.get(d);
      if (!R) {
        const normal = normalSampler(npRandom(seed + 7919));
        R = Float32Array.from({ length: d * k }, normal);
        byWidth.set(d, R);
      }
      return R;
    },
  };
}

/** Fits the probes and controls of one hook point for every label of `plan` (closed-form LDA, `lda.ts`). */
export function fitProbes(
  gemm: Gemm,
  table: ActivationTable,
  plan: ProbePlan,
): { scores: ProbeScore[]; directions: ProbeDirection[] } {
  const { width: d, data: X } = table;
  const { labels, split, k, shrinkage, shuffles, variants } = plan;
  const { Z, mean, std } = standardise(X, d, split.train);
  const G = gram(gemm, Z, d, split.train);
  const R = plan.randomDirections(d);
  // Per label: the probe, the sparse probe, the random-direction control and the shuffled-label
  // controls, all as weights on Z, read out by one GEMM over every row.
  const per = 3 + shuffles;
  const sums = classSums(
    gemm,
    Z,
    d,
    split.train,
    labels.flatMap((label, i) => variants[i].map((y) => ({ y, classes: label.classes.length }))),
  );
  const fits = labels.map((label, i) => {
    // Shuffles keep the unlabelled rows, so every variant of a label shares its Gram matrix.
    const Gl = labelledGram(gemm, Z, d, split.train, label.values, G);
    const [stats, ...shuffled] = variants[i].map((_, v) => classStats(d, Gl, sums[i * (1 + shuffles) + v]));
    const features = topFeatures(stats, k);
    return {
      features,
      classifiers: [
        ldaClassifier(stats, shrinkage),
        ldaClassifier(stats, shrinkage, { features }),
        ldaClassifier(stats, shrinkage, { projection: R, k }),
        ...shuffled.map((st) => ldaClassifier(st, shrinkage)),
      ],
    };
  });
  // Held-out predictions of every classifier; training predictions of the probe alone.
  const predicted = predictRows(
    gemm,
    Z,
    d,
    split.test,
    fits.flatMap((f) => f.classifiers),
  );
  const trainPredicted = predictRows(
    gemm,
    Z,
    d,
    split.train,
    fits.map((f) => f.classifiers[0]),
  );
  const N = Z.length / d;
  let norm = 0;
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j] ** 2;
    norm += Math.sqrt(s);
  }
  const meanNorm = norm / N;

  const scores = labels.map((label, i): ProbeScore => {
    const [probe, sparse, random, ...shuffled] = predicted.slice(per * i, per * (i + 1));
    return {
      hook: table.hook,
      label: label.name,
      nTrain: plan.nTrain[i],
      nTest: plan.nTest[i],
      accuracy: accuracyOf(probe, label.values, split.test),
      trainAccuracy: accuracyOf(trainPredicted[i], label.values, split.train),
      sparse: {
        k: fits[i].features.length,
        features: fits[i].features,
        accuracy: accuracyOf(sparse, label.values, split.test),
      },
      shuffled: shuffled.reduce((a, p) => a + accuracyOf(p, label.values, split.test), 0) / shuffles,
      randomDirections: accuracyOf(random, label.values, split.test),
      chance: plan.chance[i],
    };
  });
  const directions = labels.map((label, i) =>
    rawDirection(table.hook, label, fits[i].classifiers[0], mean, std, meanNorm),
  );
  return { scores, directions };
}

/**
 * Predicted class of `rows` of Z [N, d] under each classifier (one GEMM for all): `[classifier][N]`
 * (rows outside `rows`: -1).
 */
function predictRows(
  gemm: Gemm,
  Z: Float32Array,
  d: number,
  rows: Int32Array,
  classifiers: LinearClassifier[],
): Int32Array[] {
  const N = Z.length / d;
  const n = rows.length;
  const widths = classifiers.map((c) => c.b.length);
  const total = widths.reduce((a, w) => a + w, 0);
  const W = new Float32Array(d * total);
  let col = 0;
  classifiers.forEach((c, i) => {
    const C = widths[i];
    for (let j = 0; j < d; j++) for (let a = 0; a < C; a++) W[j * total + col + a] = c.W[j * C + a];
    col += C;
  });
  const z = gemm.matmul(gather(Z, d, rows), W, n, d, total);
  col = 0;
  return classifiers.map((c, i) => {
    const lo = col;
    col += widths[i];
    const pred = new Int32Array(N).fill(-1);
    rows.forEach((r, k) => {
      const o = k * total + lo;
      let best = 0;
      for (let a = 1; a < widths[i]; a++) if (z[o + a] + c.b[a] > z[o + best] + c.b[best]) best = a;
      pred[r] = best;
    });
    return pred;
  });
}

/** A probe on standardised features as weights on raw activations. */
function rawDirection(
  hook: string,
  label: ProbeLabel,
  m: LinearClassifier,
  mean: Float64Array,
  std: Float64Array,
  meanNorm: number,
): ProbeDirection {
  const C = m.b.length;
  const d = mean.length;
  const W = new Float32Array(d * C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let bias = m.b[c];
    for (let j = 0; j < d; j++) {
      const w = m.W[j * C + c] / std[j];
      W[j * C + c] = w;
      bias -= w * mean[j];
    }
    b[c] = bias;
  }
  return { hook, label: label.name, classes: label.classes, W, b, meanNorm };
}

/** Labels of the labelled train rows permuted among themselves (others unchanged). */
function shuffledLabels(y: Int32Array, train: Int32Array, seed: number): Int32Array {
  const out = Int32Array.from(y);
  const rows = train.filter((r) => y[r] >= 0);
  const vals = Array.from(rows, (r) => y[r]);
  const rng = npRandom(seed);
  for (let i = vals.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [vals[i], vals[j]] = [vals[j], vals[i]];
  }
  rows.forEach((r, i) => (out[r] = vals[i]));
  return out;
}
