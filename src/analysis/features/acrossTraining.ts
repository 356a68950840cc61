/**
 * Analyses over a checkpoint series (`dtlens train --series-every`), read against the training step:
 * the same probe sweep on every model (when a feature becomes decodable), head composition scores (when
 * heads start to compose), head types on one window dataset (when attention specialises), and the
 * matches of SAE features between consecutive checkpoints (cosine of decoder directions). Every model
 * must share the first one's architecture (a typed one-line error otherwise).
 */
import { check } from '../../errors.ts';
import type { Checkpoint } from '../../io/checkpoint.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { COMPOSITION_TYPES, type CompositionType, compositionScores } from '../static/composition.ts';
import { type HeadType, headTypes } from '../scans/headTypes.ts';
import type { WindowDataset } from '../scans/windowDataset.ts';
import type { JobControl } from '../jobs.ts';
import type { Sae } from './sae.ts';
import type { PositionKind } from './activations.ts';
import { type ProbeOptions, type ProbeSweepResult, probeSweep } from './probe.ts';
import type { ProbeSet } from './probeSet.ts';

export interface SeriesModel {
  name: string;
  /** Training update of this checkpoint */
  step: number;
  model: DecisionTransformer;
}

export interface ProbesAcrossTraining {
  steps: number[];
  names: string[];
  sweeps: ProbeSweepResult[];
}

/** Training step of the `index`-th checkpoint of a series: its recorded updates, else its index. */
export function checkpointStep(ckpt: Pick<Checkpoint, 'offline'>, index: number): number {
  const updates = ckpt.offline?.updates;
  return typeof updates === 'number' ? updates : index;
}

const ARCH_KEYS: readonly (keyof DTArchitecture)[] = [
  'dModel',
  'nHeads',
  'dHead',
  'dMlp',
  'nLayers',
  'nCtx',
  'normalization',
  'gatedMlp',
  'activationFn',
  'nActions',
];

/** Throws BAD_INPUT naming the first checkpoint whose architecture differs from the first one's. */
export function checkSameArchitecture(series: readonly { name: string; arch: DTArchitecture }[]): void {
  check(series.length > 0, 'BAD_INPUT', 'the checkpoint series is empty');
  const [first] = series;
  for (const s of series.slice(1))
    for (const k of ARCH_KEYS)
      check(
        JSON.stringify(s.arch[k]) === JSON.stringify(first.arch[k]) &&
          s.arch.obsShape.join() === first.arch.obsShape.join(),
        'BAD_INPUT',
        `checkpoint ${s.name} has ${k} = ${JSON.stringify(s.arch[k])}, ${first.name} has ${JSON.stringify(first.arch[k])}: a series must share one architecture`,
      );
}

/** The probe sweep of `set` on every model of the series, in step order. */
export async function probesAcrossTraining(
  series: readonly SeriesModel[],
  set: ProbeSet,
  hooks: readonly string[],
  position: PositionKind,
  options: ProbeOptions = {},
  control?: JobControl,
): Promise<ProbesAcrossTraining> {
  const models = ordered(series);
  const sweeps: ProbeSweepResult[] = [];
  for (const s of models) sweeps.push(await probeSweep(s.model, set, hooks, position, options, control));
  return { steps: models.map((s) => s.step), names: models.map((s) => s.name), sweeps };
}

/** Checks the series and returns it in step order. */
function ordered(series: readonly SeriesModel[]): SeriesModel[] {
  checkSameArchitecture(series.map((s) => ({ name: s.name, arch: s.model.arch })));
  return [...series].sort((a, b) => a.step - b.step);
}

export interface CompositionAcrossTraining {
  steps: number[];
  /** Writer → reader head pairs with their type, e.g. `L0H1→L1H2 K` (l1 < l2 only). */
  pairs: string[];
  /** [pair][step] composition score */
  scores: number[][];
  /** Random-matrix baseline mean per type (identical shapes: one value per type). */
  baseline: Record<string, number>;
}

/** Q/K/V composition scores (`compositionScores`) of every head pair at every checkpoint. */
export function compositionAcrossTraining(series: readonly SeriesModel[]): CompositionAcrossTraining {
  const models = ordered(series);
  const results = models.map((s) => compositionScores(s.model));
  const { heads, nHeads: H, nLayers: L } = results[0];
  const pairs: string[] = [];
  const index: [CompositionType, number][] = [];
  for (const type of COMPOSITION_TYPES)
    for (let l1 = 0; l1 < L; l1++)
      for (let h1 = 0; h1 < H; h1++)
        for (let l2 = l1 + 1; l2 < L; l2++)
          for (let h2 = 0; h2 < H; h2++) {
            pairs.push(`${heads[l1 * H + h1]}→${heads[l2 * H + h2]} ${type}`);
            index.push([type, ((l1 * H + h1) * L + l2) * H + h2]);
          }
  return {
    steps: models.map((s) => s.step),
    pairs,
    scores: index.map(([type, i]) => results.map((r) => r.scores[type].data[i])),
    baseline: Object.fromEntries(COMPOSITION_TYPES.map((t) => [t, results[0].baseline[t].mean])),
  };
}

export interface HeadTypesAcrossTraining {
  steps: number[];
  heads: string[];
  /** [step][head] head type on the dataset's windows */
  types: HeadType[][];
}

/** Head types (`headTypes`) of every checkpoint on one window dataset. */
export async function headTypesAcrossTraining(
  series: readonly SeriesModel[],
  windows: WindowDataset,
  control?: JobControl,
): Promise<HeadTypesAcrossTraining> {
  const models = ordered(series);
  const results = [];
  for (const s of models) results.push(await headTypes(s.model, windows, {}, control));
  return { steps: models.map((s) => s.step), heads: results[0].heads, types: results.map((r) => r.types) };
}

/** For each latent of SAE `a`, the latent of `b` whose decoder direction is closest (cosine). */
export interface FeatureMatches {
  /** [m_a] best latent of b */
  best: Int32Array;
  /** [m_a] its cosine */
  cosine: Float32Array;
}

/** Matches by cosine of decoder rows (`W_dec` rows are unit norm; normalised here anyway). */
export function saeFeatureMatches(gemm: Gemm, a: Sae, b: Sae): FeatureMatches {
  const d = a.config.dOut;
  check(
    b.config.dOut === d,
    'BAD_INPUT',
    `SAE decoders write vectors of width ${d} and ${b.config.dOut}: they cannot be matched`,
  );
  const unit = (s: Sae) => {
    const W = s.W_dec.slice();
    for (let i = 0; i < s.config.latents; i++) {
      const row = W.subarray(i * d, (i + 1) * d);
      const n = Math.hypot(...row) || 1;
      for (let j = 0; j < d; j++) row[j] /= n;
    }
    return W;
  };
  const ma = a.config.latents;
  const mb = b.config.latents;
  const C = gemm.matmul(unit(a), unit(b), ma, d, mb, { transB: true });
  const best = new Int32Array(ma);
  const cosine = new Float32Array(ma);
  for (let i = 0; i < ma; i++) {
    let k = 0;
    for (let j = 1; j < mb; j++) if (C[i * mb + j] > C[i * mb + k]) k = j;
    best[i] = k;
    cosine[i] = C[i * mb + k];
  }
  return { best, cosine };
}

export interface SaeMatchesAcrossTraining {
  steps: number[];
  /** [step - 1] mean best cosine of each checkpoint's features to the previous checkpoint's */
  meanCosine: number[];
  /** [step - 1] share of features with a match of cosine >= `threshold` */
  matched: number[];
  threshold: number;
}

/** Feature matches between the SAEs of consecutive checkpoints (one SAE per step, same hook point). */
export function saeMatchesAcrossTraining(
  gemm: Gemm,
  saes: readonly { step: number; sae: Sae }[],
  threshold = 0.9,
): SaeMatchesAcrossTraining {
  check(
    saes.length >= 2,
    'BAD_INPUT',
    'feature matches across training need SAEs of at least two checkpoints',
  );
  const sorted = [...saes].sort((a, b) => a.step - b.step);
  const matches = sorted.slice(1).map((s, i) => saeFeatureMatches(gemm, s.sae, sorted[i].sae).cosine);
  return {
    steps: sorted.map((s) => s.step),
    meanCosine: matches.map((c) => c.reduce((a, v) => a + v, 0) / c.length),
    matched: matches.map((c) => c.filter((v) => v >= threshold).length / c.length),
    threshold,
  };
}
