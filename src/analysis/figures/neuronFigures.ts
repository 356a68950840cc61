/**
 * Figures of the neuron views: a neuron's input (lens by layer and accumulated, components, heads,
 * earlier neurons, observation features), the projection analysis (projection of each accumulated
 * state on each component, cosine clustergram) and the gated-MLP view (gates, congruence, gates by
 * the neuron's most congruent action).
 */
import { check } from '../../errors.ts';
import type { GatedMlpResult } from '../dynamic/gatedMlp.ts';
import type { NeuronActivationResult, NeuronReadAnalysis } from '../dynamic/neuronActivation.ts';
import type { NeuronReadKind } from '../dynamic/neuronReads.ts';
import type { ProjectionResult } from '../dynamic/projection.ts';
import { barFigure, heatmapFigure, lineFigure } from './charts.ts';
import type { Cell, FigureSpec } from './figure.ts';
import { clustergramFigure } from './scanFigures.ts';
import { stripFigure } from './strip.ts';

export const NEURON_FIGURES = [
  'layers',
  'accumulated',
  'components',
  'heads',
  'neurons',
  'observation',
] as const;
export type NeuronFigure = (typeof NEURON_FIGURES)[number];

/** The read of `r` of this kind (default: the first: `pre`, or the gate of a gated MLP). */
export function neuronRead(r: NeuronActivationResult, kind?: NeuronReadKind): NeuronReadAnalysis {
  const read = kind === undefined ? r.reads[0] : r.reads.find((x) => x.kind === kind);
  check(
    read,
    'BAD_INPUT',
    `${r.neuron.label} has no ${kind} read (it has ${r.reads.map((x) => x.kind).join(', ')})`,
  );
  return read;
}

/** One figure of a neuron's input for one read. */
export function neuronFigure(
  r: NeuronActivationResult,
  figure: NeuronFigure,
  kind?: NeuronReadKind,
): FigureSpec {
  const read = neuronRead(r, kind);
  const what = `${r.neuron.label} ${read.kind} (${read.weight}) at ${r.tokenLabel}`;
  const valueName = `contribution to ${read.kind}`;
  if (figure === 'layers')
    return barFigure({
      title: `lens into ${what}: each layer`,
      labels: read.layers.labels,
      values: read.layers.values,
      labelName: 'component',
      valueName,
    });
  if (figure === 'accumulated')
    return lineFigure({
      title: `lens into ${what}: accumulated residual (value ${read.value.toFixed(3)})`,
      columns: ['residual state', read.kind],
      rows: read.accumulated.labels.map((l, i) => [l, read.accumulated.values[i]]),
      x: { column: 0, domain: read.accumulated.labels, label: 'residual stream state' },
      y: 1,
    });
  if (figure === 'components') {
    const keep = read.components.labels.flatMap((l, i) => (/^L\d+N\d+$/.test(l) ? [] : [i]));
    const neurons = neuronSums(read);
    return barFigure({
      title: `contributions to ${what} (value ${read.value.toFixed(3)}; neurons summed per layer)`,
      labels: [...keep.map((i) => read.components.labels[i]), ...neurons.map((x) => x.label)],
      values: [...keep.map((i) => read.components.values[i]), ...neurons.map((x) => x.value)],
      labelName: 'component',
      valueName,
    });
  }
  if (figure === 'heads') {
    const H = read.heads[0].length;
    const rows: Cell[][] = [];
    read.heads.forEach((row, l) => row.forEach((v, h) => rows.push([`L${l}`, `H${h}`, v])));
    return heatmapFigure({
      title: `head contributions to ${what}`,
      columns: ['layer', 'head', valueName],
      rows,
      x: { column: 1, domain: Array.from({ length: H }, (_, h) => `H${h}`), label: 'head' },
      y: { column: 0, domain: read.heads.map((_, l) => `L${l}`), label: 'layer' },
      value: 2,
      cellSize: 48,
    });
  }
  if (figure === 'neurons') {
    const rows = read.components.labels.flatMap((l, i) => {
      const m = /^L(\d+)N\d+$/.exec(l);
      return m ? [[l, `L${m[1]}`, read.components.values[i]] as Cell[]] : [];
    });
    check(rows.length > 0, 'BAD_INPUT', `no neurons feed into neurons in layer ${r.neuron.layer}`);
    return stripFigure({
      title: `earlier neurons’ contributions to ${what}`,
      columns: ['neuron', 'layer', valueName],
      rows,
      value: 2,
      group: 1,
    });
  }
  const obs = read.observation;
  check(obs, 'BAD_INPUT', `${r.tokenLabel} is not a state token: no observation features`);
  return stripFigure({
    title:
      `observation features’ contributions to ${what}: state ${obs.state.toFixed(3)}, ` +
      `time ${obs.time.toFixed(3)}, total ${obs.total.toFixed(3)}`,
    columns: ['feature', 'channel', 'value', valueName],
    rows: obs.features.map((f) => [f.label, f.channel, f.value, f.contribution]),
    value: 3,
    group: 1,
  });
}

/** Sum of the neuron contributions per earlier layer (`L{l} neurons`). */
function neuronSums(read: NeuronReadAnalysis): { label: string; value: number }[] {
  const sums = new Map<string, number>();
  read.components.labels.forEach((l, i) => {
    const m = /^L(\d+)N\d+$/.exec(l);
    if (m) sums.set(`L${m[1]} neurons`, (sums.get(`L${m[1]} neurons`) ?? 0) + read.components.values[i]);
  });
  return [...sums].map(([label, value]) => ({ label, value }));
}

export const PROJECTION_FIGURES = ['projection', 'similarity'] as const;
export type ProjectionFigure = (typeof PROJECTION_FIGURES)[number];

/** Lines of each component's projection over the accumulated states, or the cosine clustergram. */
export function projectionFigure(r: ProjectionResult, figure: ProjectionFigure = 'projection'): FigureSpec {
  if (figure === 'similarity') {
    return clustergramFigure(r.similarity, r.tokenLabel, `cosine similarity at ${r.tokenLabel}`);
  }
  const name = `projection (÷ ‖${r.norm === 'vector' ? 'component' : 'state'}‖)`;
  const rows: Cell[][] = [];
  r.components.forEach((c, k) => r.states.forEach((s, j) => rows.push([s, c, r.projection[j][k]])));
  return lineFigure({
    title: `projection of the residual stream on each component’s output at ${r.tokenLabel}`,
    columns: ['residual state', 'component', name],
    rows,
    x: { column: 0, domain: r.states, label: 'residual stream state' },
    y: 2,
    series: 1,
  });
}

export const GATED_MLP_FIGURES = ['gates', 'congruence', 'gates-by-action'] as const;
export type GatedMlpFigure = (typeof GATED_MLP_FIGURES)[number];

/** Strips of the gates (by layer), the congruences (by action) or the gates by top action. */
export function gatedMlpFigure(r: GatedMlpResult, figure: GatedMlpFigure = 'gates'): FigureSpec {
  if (figure === 'congruence') {
    const rows: Cell[][] = [];
    r.labels.forEach((n, i) => r.actionNames.forEach((a, k) => rows.push([n, a, r.congruence[i][k]])));
    return stripFigure({
      title: 'congruence of each neuron’s output with each action (W_out · W_U)',
      columns: ['neuron', 'action', 'congruence'],
      rows,
      value: 2,
      group: 1,
    });
  }
  const byAction = figure === 'gates-by-action';
  return stripFigure({
    title: byAction
      ? `gate of each neuron at ${r.tokenLabel}, by the action its output is most congruent with`
      : `gate act(hook_pre) of each neuron at ${r.tokenLabel}`,
    columns: ['neuron', byAction ? 'top action' : 'layer', 'gate', 'linear', 'post'],
    rows: r.labels.map((n, i) => [
      n,
      byAction ? r.actionNames[r.topAction[i]] : `L${r.layer[i]}`,
      r.gate[i],
      r.linear[i],
      r.post[i],
    ]),
    value: 2,
    group: 1,
  });
}
