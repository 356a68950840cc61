/**
 * Analyses over a checkpoint series (`dtlens train --series-every`): the same probe sweep on every model
 * of the series, read against the training step, so one sees when a feature becomes decodable. Every
 * model must share the first one's architecture (a typed one-line error otherwise).
 */
import { check } from '../../errors.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { JobControl } from '../jobs.ts';
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
  checkSameArchitecture(series.map((s) => ({ name: s.name, arch: s.model.arch })));
  const ordered = [...series].sort((a, b) => a.step - b.step);
  const sweeps: ProbeSweepResult[] = [];
  for (const s of ordered) sweeps.push(await probeSweep(s.model, set, hooks, position, options, control));
  return { steps: ordered.map((s) => s.step), names: ordered.map((s) => s.name), sweeps };
}
