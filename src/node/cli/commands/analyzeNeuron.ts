/**
 * The neuron views of `dtlens analyze` on one window: `neuron` (what a neuron reads, decomposed; exact
 * for gated MLPs), `projection` (the residual stream projected on heads' and neurons' outputs) and
 * `gated-mlp` (gates, congruence, gates by action).
 */
import { check } from '../../../errors.ts';
import { gatedMlpView } from '../../../analysis/dynamic/gatedMlp.ts';
import { neuronActivation } from '../../../analysis/dynamic/neuronActivation.ts';
import { type NeuronReadKind, parseNeuron } from '../../../analysis/dynamic/neuronReads.ts';
import { type ProjectionNorm, projectionAnalysis } from '../../../analysis/dynamic/projection.ts';
import type { AnalysisRun } from '../../../analysis/dynamic/run.ts';
import type { FigureSpec } from '../../../analysis/figures/figure.ts';
import {
  GATED_MLP_FIGURES,
  type GatedMlpFigure,
  NEURON_FIGURES,
  type NeuronFigure,
  PROJECTION_FIGURES,
  type ProjectionFigure,
  gatedMlpFigure,
  neuronFigure,
  neuronRead,
  projectionFigure,
} from '../../../analysis/figures/neuronFigures.ts';
import { parseChoice } from '../options.ts';

export const NEURON_ANALYSES = ['neuron', 'projection', 'gated-mlp'] as const;
export type NeuronAnalysis = (typeof NEURON_ANALYSES)[number];

export interface NeuronCliOptions {
  neuron?: string;
  neurons?: string;
  read?: string;
  norm: string;
  figure?: string;
}

const fmt = (v: number) => v.toFixed(4);

/** Runs a neuron view on `run` at `position`; returns the result, its figure and a summary. */
export function analyseNeuron(
  analysis: NeuronAnalysis,
  run: AnalysisRun,
  position: number | undefined,
  opts: NeuronCliOptions,
): { result: object; figure: FigureSpec; summary: string } {
  const arch = run.model.arch;
  if (analysis === 'neuron') {
    check(opts.neuron !== undefined, 'BAD_INPUT', 'analyze neuron needs --neuron L{layer}N{index}');
    const result = neuronActivation(run, { neuron: parseNeuron(opts.neuron, arch), position });
    const kind =
      opts.read === undefined
        ? undefined
        : parseChoice<NeuronReadKind>(opts.read, ['pre', 'gate', 'linear'], '--read');
    const read = neuronRead(result, kind);
    const figure = parseChoice<NeuronFigure>(opts.figure ?? 'components', NEURON_FIGURES, '--figure');
    const reads = result.reads
      .map((r) => `${r.kind} ${fmt(r.value)} (components sum ${fmt(r.components.check.sum)})`)
      .join(', ');
    const summary =
      `${result.neuron.label} at ${result.tokenLabel}: ${reads}; post ${fmt(result.post)}` +
      `\nDTI's estimate ${fmt(result.dti.estimate)} against hook_pre ${fmt(result.dti.cache)}` +
      (result.gated ? ' (wrong for a gated MLP: it reads W_in, hook_pre is the gate)' : '');
    return { result, figure: neuronFigure(result, figure, read.kind), summary };
  }
  if (analysis === 'projection') {
    const neurons = (opts.neurons ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => parseNeuron(s, arch));
    const norm = parseChoice<ProjectionNorm>(opts.norm, ['vector', 'component'], '--norm');
    const result = projectionAnalysis(run, { neurons, norm, position });
    const figure = parseChoice<ProjectionFigure>(opts.figure ?? 'projection', PROJECTION_FIGURES, '--figure');
    const last = result.states.length - 1;
    const summary =
      `projection of ${result.states[last]} at ${result.tokenLabel} (÷ ‖${norm}‖): ` +
      result.components.map((c, k) => `${c} ${fmt(result.projection[last][k])}`).join(', ') +
      `\nclusters (cosine): ${result.similarity.clusters.map((c) => c.join(' ')).join(' | ')}`;
    return { result, figure: projectionFigure(result, figure), summary };
  }
  const result = gatedMlpView(run, { position });
  const figure = parseChoice<GatedMlpFigure>(opts.figure ?? 'gates', GATED_MLP_FIGURES, '--figure');
  const top = result.labels
    .map((l, i) => ({ l, g: result.gate[i] }))
    .sort((a, b) => b.g - a.g)
    .slice(0, 5);
  const summary =
    `largest gates at ${result.tokenLabel}: ${top.map((t) => `${t.l} ${fmt(t.g)}`).join(', ')}\n` +
    result.byAction.map((a) => `${a.action}: ${a.neurons} neurons, mean gate ${fmt(a.meanGate)}`).join('; ');
  return { result, figure: gatedMlpFigure(result, figure), summary };
}
