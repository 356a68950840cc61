/**
 * Figures of the features layer: probe accuracy by hook point (one line per label, or per model and
 * label when comparing models), with the controls as their own series; analyses of a checkpoint series
 * against the training step (probes, composition, head types, SAE feature matches).
 */
import type {
  CompositionAcrossTraining,
  HeadTypesAcrossTraining,
  ProbesAcrossTraining,
  SaeMatchesAcrossTraining,
} from '../features/acrossTraining.ts';
import { HEAD_TYPES } from '../scans/headTypes.ts';
import type { ProbeScore, ProbeSweepResult } from '../features/probe.ts';
import type { Cell, FigureSpec } from './figure.ts';
import { lineFigure } from './charts.ts';

/** Which score a line shows. */
export type ProbeMetric = 'accuracy' | 'sparse' | 'shuffled' | 'randomDirections' | 'chance';
export const PROBE_METRICS: readonly ProbeMetric[] = [
  'accuracy',
  'sparse',
  'shuffled',
  'randomDirections',
  'chance',
];

export const metricValue = (s: ProbeScore, m: ProbeMetric): number =>
  m === 'accuracy'
    ? s.accuracy
    : m === 'sparse'
      ? s.sparse.accuracy
      : m === 'shuffled'
        ? s.shuffled
        : m === 'randomDirections'
          ? s.randomDirections
          : s.chance.majority;

/** `blocks.1.hook_resid_post` -> `L1 resid_post`, `blocks.0.attn.hook_z` -> `L0 attn.z`. */
export function shortHook(hook: string): string {
  const m = /^blocks\.(\d+)\.(.*)$/.exec(hook);
  return m ? `L${m[1]} ${m[2].replace('hook_', '')}` : hook.replace('hook_', '');
}

/**
 * Held-out accuracy by hook point (x in forward order): one line per label and metric, for one or
 * several models (`runs`: name and sweep). Labels default to every label of the first run.
 */
export function probeAccuracyFigure(
  runs: readonly { name: string; result: ProbeSweepResult }[],
  options: { labels?: readonly string[]; metrics?: readonly ProbeMetric[] } = {},
): FigureSpec {
  const labels = options.labels ?? runs[0].result.labels.map((l) => l.name);
  const metrics = options.metrics ?? ['accuracy'];
  const hooks: string[] = [];
  for (const { result } of runs)
    for (const h of result.hooks) if (!hooks.includes(shortHook(h))) hooks.push(shortHook(h));
  const rows: Cell[][] = [];
  for (const { name, result } of runs)
    for (const s of result.scores)
      if (labels.includes(s.label))
        for (const m of metrics) {
          const series = [runs.length > 1 ? name : '', s.label, m === 'accuracy' ? '' : `(${m})`]
            .filter(Boolean)
            .join(' ');
          rows.push([shortHook(s.hook), series, metricValue(s, m)]);
        }
  const position = runs[0].result.position;
  return lineFigure({
    title: `Probe accuracy by hook point (held-out episodes, token ${position})`,
    columns: ['hook point', 'series', 'accuracy'],
    rows,
    x: { column: 0, domain: hooks, label: 'hook point' },
    y: 2,
    series: 1,
  });
}

/**
 * Probe accuracy against training step: per label, the best held-out accuracy over the probed hook
 * points (or at one hook point), one line per label.
 */
export function acrossTrainingFigure(
  result: ProbesAcrossTraining,
  options: { labels?: readonly string[]; hook?: string } = {},
): FigureSpec {
  const labels = options.labels ?? result.sweeps[0].labels.map((l) => l.name);
  const rows: Cell[][] = [];
  result.sweeps.forEach((sweep, i) => {
    for (const label of labels) {
      const scores = sweep.scores.filter(
        (s) => s.label === label && (!options.hook || s.hook === options.hook),
      );
      if (scores.length)
        rows.push([String(result.steps[i]), label, Math.max(...scores.map((s) => s.accuracy))]);
    }
  });
  return lineFigure({
    title: `Probe accuracy across training (${options.hook ? shortHook(options.hook) : 'best hook point'})`,
    columns: ['step', 'label', 'accuracy'],
    rows,
    x: { column: 0, domain: result.steps.map(String), label: 'training step' },
    y: 2,
    series: 1,
  });
}

/** The `top` head pairs with the largest final composition score, against the training step. */
export function compositionAcrossTrainingFigure(r: CompositionAcrossTraining, top = 8): FigureSpec {
  const last = r.steps.length - 1;
  const pairs = r.pairs
    .map((name, i) => ({ name, i }))
    .sort((a, b) => r.scores[b.i][last] - r.scores[a.i][last])
    .slice(0, top);
  return lineFigure({
    title: `Head composition across training (top ${pairs.length} pairs at the last step)`,
    columns: ['step', 'pair', 'composition score'],
    rows: pairs.flatMap(({ name, i }) =>
      r.steps.map((step, k): Cell[] => [String(step), name, r.scores[i][k]]),
    ),
    x: { column: 0, domain: r.steps.map(String), label: 'training step' },
    y: 2,
    series: 1,
  });
}

/** Number of heads of each type against the training step. */
export function headTypesAcrossTrainingFigure(r: HeadTypesAcrossTraining): FigureSpec {
  const types = [...HEAD_TYPES, 'mixed'] as const;
  return lineFigure({
    title: 'Head types across training',
    columns: ['step', 'type', 'heads'],
    rows: types.flatMap((type) =>
      r.steps.map((step, k): Cell[] => [String(step), type, r.types[k].filter((t) => t === type).length]),
    ),
    x: { column: 0, domain: r.steps.map(String), label: 'training step' },
    y: 2,
    series: 1,
  });
}

/** SAE feature matches between consecutive checkpoints: mean best cosine and matched share per step. */
export function saeMatchesAcrossTrainingFigure(r: SaeMatchesAcrossTraining): FigureSpec {
  const steps = r.steps.slice(1).map(String);
  const matched = `matched (cosine ≥ ${r.threshold})`;
  return lineFigure({
    title: 'SAE features matched to the previous checkpoint’s (decoder cosine)',
    columns: ['step', 'series', 'value'],
    rows: steps.flatMap((step, i): Cell[][] => [
      [step, 'mean best cosine', r.meanCosine[i]],
      [step, matched, r.matched[i]],
    ]),
    x: { column: 0, domain: steps, label: 'training step (vs the previous checkpoint)' },
    y: 2,
    series: 1,
  });
}
