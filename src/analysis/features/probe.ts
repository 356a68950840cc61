/**
 * Linear probes: for each hook point (read at one token kind) and each label, a multinomial linear
 * probe (shrinkage LDA, softmax posterior; `lda.ts`) on standardised activations, scored on held-out
 * episodes, with three controls:
 * - a sparse probe on the k features with the largest between/within-class variance (train rows only);
 * - the same probe trained on shuffled labels (its held-out accuracy must sit at chance);
 * - a probe on k random directions (what any k-dimensional projection gives).
 * Chance is the majority-class share of the held-out rows with a 95% interval. All fits of one hook
 * come from per-class sums of its training rows (one GEMM for every label and control) and one Gram
 * matrix, with one tridiagonal factorisation, per set of labelled rows (labels that leave no train row
 * out share it); one GEMM reads out every classifier's held-out predictions.
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { logisticClassifier } from './logistic.ts';
import { npRandom } from '../../env/index.ts';
import { normalSampler } from '../../train/init.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { type ActivationTable, type PositionKind, collectActivations } from './activations.ts';
import type { ProbeLabel, ProbeSet } from './probeSet.ts';
import {
  type ClassIndicators,
  type LinearClassifier,
  basisGram,
  basisStats,
  classIndicators,
  classStats,
  classSums,
  gather,
  gram,
  ldaClassifier,
  ldaClassifiers,
  liftClassifier,
  rowGram,
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
  /**
   * `lda` (default): closed-form shrinkage LDA; `logistic`: multinomial logistic regression
   * (`logistic.ts`, L-BFGS from the LDA solution) for the probe and every control alike.
   */
  method?: ProbeMethod;
}

export const PROBE_METHODS = ['lda', 'logistic'] as const;
export type ProbeMethod = (typeof PROBE_METHODS)[number];

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

/**
 * Standardisation by the train rows' means and standard deviations (constant features: std 1): the
 * standardised train and held-out rows, [train.length, d] and [test.length, d], in split order, and
 * the mean L2 norm of the raw rows (train and held-out: every row).
 */
function standardise(X: Float32Array, d: number, { train, test }: Split) {
  // Sums over train rows two at a time (one read and write of each sum per pair), in row order.
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  let i = 0;
  for (; i + 1 < train.length; i += 2) {
    const o0 = train[i] * d;
    const o1 = train[i + 1] * d;
    for (let j = 0; j < d; j++) {
      const u = X[o0 + j];
      const v = X[o1 + j];
      mean[j] = mean[j] + u + v;
      sq[j] = sq[j] + u * u + v * v;
    }
  }
  if (i < train.length)
    for (let j = 0; j < d; j++) {
      const u = X[train[i] * d + j];
      mean[j] += u;
      sq[j] += u * u;
    }
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] /= train.length;
    const v = sq[j] / train.length - mean[j] * mean[j];
    std[j] = v > 1e-12 ? Math.sqrt(v) : 1;
  }
  let norms = 0;
  const rowsOf = (rows: Int32Array) => {
    const Z = new Float32Array(rows.length * d);
    for (let i = 0; i < rows.length; i++) {
      const o = rows[i] * d;
      let sq = 0;
      for (let j = 0; j < d; j++) {
        const v = X[o + j];
        sq += v * v;
        Z[i * d + j] = (v - mean[j]) / std[j];
      }
      norms += Math.sqrt(sq);
    }
    return Z;
  };
  const trainRows = rowsOf(train);
  const testRows = rowsOf(test);
  return { train: trainRows, test: testRows, mean, std, meanNorm: norms / (train.length + test.length) };
}

/** Share of `rows` (with a label) whose prediction (`pred`, one per row of `rows`) matches. */
function accuracyOf(pred: Int32Array, y: Int32Array, rows: Int32Array): number {
  let hit = 0;
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const c = y[rows[i]];
    if (c < 0) continue;
    n++;
    if (pred[i] === c) hit++;
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
  /** One-hot classes of every variant of every label (label-major) at the train rows, in split order. */
  indicators: ClassIndicators;
  /**
   * Labels grouped by their labelled train rows (all of a group's fits share one Gram matrix):
   * `unlabelled` are the positions in `split.train` of the rows the group's labels leave out.
   */
  groups: { labels: number[]; unlabelled: Int32Array }[];
  /** Random directions R [d, k] for activations of width d (one seeded normal stream per width). */
  randomDirections(d: number): Float32Array;
  method: ProbeMethod;
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
  const variants = labels.map((label, i) => [
    label.values,
    ...Array.from({ length: shuffles }, (_, s) =>
      shuffledLabels(label.values, split.train, seed + 1 + i * shuffles + s),
    ),
  ]);
  // Shuffles permute labelled rows among themselves: every variant of a label has its labelled rows.
  const groups = new Map<string, { labels: number[]; unlabelled: Int32Array }>();
  labels.forEach((label, i) => {
    const unlabelled = Int32Array.from(split.train.keys()).filter((p) => label.values[split.train[p]] < 0);
    const key = unlabelled.join(',');
    if (!groups.has(key)) groups.set(key, { labels: [], unlabelled });
    groups.get(key)!.labels.push(i);
  });
  const byWidth = new Map<number, Float32Array>();
  const method = options.method ?? 'lda';
  check(PROBE_METHODS.includes(method), 'BAD_INPUT', `probe method must be lda or logistic, got '${method}'`);
  return {
    method,
    labels,
    split,
    k,
    shrinkage: options.shrinkage ?? 0.01,
    shuffles,
    variants,
    chance: labels.map((label) => chanceOf(label, split)),
    nTrain: labels.map((label) => labelled(label.values, split.train)),
    nTest: labels.map((label) => labelled(label.values, split.test)),
    indicators: classIndicators(
      split.train,
      labels.flatMap((label, i) => variants[i].map((y) => ({ y, classes: label.classes.length }))),
    ),
    groups: [...groups.values()],
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

/**
 * Fits the probes and controls of one hook point for every label of `plan`: closed-form LDA (`lda.ts`),
 * refined to logistic probes with `plan.method` `logistic`.
 */
export function fitProbes(
  gemm: Gemm,
  table: ActivationTable,
  plan: ProbePlan,
): { scores: ProbeScore[]; directions: ProbeDirection[] } {
  const { width: d, data: X } = table;
  const { labels, split, k, shrinkage, shuffles, variants } = plan;
  const Z = standardise(X, d, split);
  const G = gram(gemm, Z.train, d);
  const sums = classSums(gemm, plan.indicators, Z.train, d);
  const R = plan.randomDirections(d);
  // Per label: the probe, the sparse probe, the random-direction control and the shuffled-label
  // controls, all as weights on Z, read out by one GEMM over the held-out rows.
  const per = 3 + shuffles;
  const fits: { features: number[]; classifiers: LinearClassifier[] }[] = [];
  for (const group of plan.groups) {
    // One Gram matrix (and tridiagonal form) per set of labelled rows; the random-direction controls
    // of the group share its projection Rᵀ G R.
    const Gl = group.unlabelled.length ? minus(G, gram(gemm, gather(Z.train, d, group.unlabelled), d)) : G;
    const rows = rowGram(Gl, d);
    const stats = group.labels.map((i) =>
      variants[i].map((_, v) => classStats(rows, sums[i * (1 + shuffles) + v])),
    );
    const full = ldaClassifiers(stats.flat(), shrinkage);
    const projection = { projection: R, k };
    const projectedGram = basisGram(rows, projection);
    const projected = ldaClassifiers(
      stats.map(([st]) => basisStats(st, projection, projectedGram)),
      shrinkage,
    );
    group.labels.forEach((i, g) => {
      const features = topFeatures(stats[g][0], k);
      const [probe, ...shuffled] = full.slice(g * (1 + shuffles), (g + 1) * (1 + shuffles));
      const sparse = ldaClassifier(stats[g][0], shrinkage, { features });
      const lda = { probe, sparse, random: projected[g], shuffled };
      const {
        probe: p,
        sparse: sp,
        random,
        shuffled: sh,
      } = plan.method === 'logistic'
        ? refineLogistic(gemm, Z.train, d, plan, i, features, projection, lda)
        : lda;
      fits[i] = { features, classifiers: [p, sp, liftClassifier(random, projection, d), ...sh] };
    });
  }
  // Held-out predictions of every classifier; training predictions of the probe alone.
  const predicted = predictRows(
    gemm,
    Z.test,
    d,
    fits.flatMap((f) => f.classifiers),
  );
  const trainPredicted = predictRows(
    gemm,
    Z.train,
    d,
    fits.map((f) => f.classifiers[0]),
  );
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
    rawDirection(table.hook, label, fits[i].classifiers[0], Z.mean, Z.std, Z.meanNorm),
  );
  return { scores, directions };
}

/** The LDA fits of one label: the probe, the sparse probe, the random-direction probe (on `Z R`), shuffles. */
interface LabelFits {
  probe: LinearClassifier;
  sparse: LinearClassifier;
  /** On the k random directions (not lifted) */
  random: LinearClassifier;
  shuffled: LinearClassifier[];
}

/**
 * Label i's fits as logistic probes (`logisticClassifier`) on the same rows, features and labels, each
 * started from its LDA fit: the probe and the shuffled-label controls on Z, the sparse probe on its k
 * columns, the random-direction control on `Z R`.
 */
function refineLogistic(
  gemm: Gemm,
  Z: Float32Array,
  d: number,
  plan: ProbePlan,
  i: number,
  features: readonly number[],
  projection: { projection: Float32Array; k: number },
  lda: LabelFits,
): LabelFits {
  const C = plan.labels[i].classes.length;
  const train = (values: Int32Array) => Int32Array.from(plan.split.train, (r) => values[r]);
  const [y, ...shuffledY] = plan.variants[i].map(train);
  const n = y.length;
  const fit = (rows: Float32Array, width: number, labels: Int32Array, init: LinearClassifier) =>
    logisticClassifier(gemm, rows, width, labels, C, init);
  // The sparse probe on its k columns, started from the LDA weights there, lifted back to every feature.
  const k = features.length;
  const columns = new Float32Array(n * k);
  for (let r = 0; r < n; r++) features.forEach((f, j) => (columns[r * k + j] = Z[r * d + f]));
  const sparseInit = { W: new Float64Array(k * C), b: lda.sparse.b };
  features.forEach((f, j) => sparseInit.W.set(lda.sparse.W.subarray(f * C, (f + 1) * C), j * C));
  const sparseFit = fit(columns, k, y, sparseInit);
  const sparse = { W: new Float64Array(d * C), b: sparseFit.b };
  features.forEach((f, j) => sparse.W.set(sparseFit.W.subarray(j * C, (j + 1) * C), f * C));
  const ZR = gemm.matmul(Z, projection.projection, n, d, projection.k);
  return {
    probe: fit(Z, d, y, lda.probe),
    sparse,
    random: fit(ZR, projection.k, y, lda.random),
    shuffled: lda.shuffled.map((c, s) => fit(Z, d, shuffledY[s], c)),
  };
}

/** A − B, elementwise. */ /** A − B, elementwise. */
function minus(A: Float64Array, B: Float64Array): Float64Array {
  const out = new Float64Array(A.length);
  for (let i = 0; i < A.length; i++) out[i] = A[i] - B[i];
  return out;
}

/** Predicted class of every row of Z [n, d] under each classifier (one GEMM for all): `[classifier][n]`. */
function predictRows(gemm: Gemm, Z: Float32Array, d: number, classifiers: LinearClassifier[]): Int32Array[] {
  const n = Z.length / d;
  const widths = classifiers.map((c) => c.b.length);
  const total = widths.reduce((a, w) => a + w, 0);
  const W = new Float32Array(d * total);
  let col = 0;
  classifiers.forEach((c, i) => {
    const C = widths[i];
    for (let j = 0; j < d; j++) for (let a = 0; a < C; a++) W[j * total + col + a] = c.W[j * C + a];
    col += C;
  });
  const z = gemm.matmul(Z, W, n, d, total);
  col = 0;
  return classifiers.map(({ b }, i) => {
    const lo = col;
    const C = widths[i];
    col += C;
    const pred = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const o = r * total + lo;
      let best = 0;
      let top = z[o] + b[0];
      for (let a = 1; a < C; a++) {
        const v = z[o + a] + b[a];
        if (v > top) {
          top = v;
          best = a;
        }
      }
      pred[r] = best;
    }
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
