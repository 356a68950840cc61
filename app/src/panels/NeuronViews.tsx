/** Views of the neuron panels: a neuron's input (one figure per read), projection analysis, gated-MLP view. */
import type { GatedMlpResult } from '../../../src/analysis/dynamic/gatedMlp.ts';
import type { NeuronActivationResult } from '../../../src/analysis/dynamic/neuronActivation.ts';
import type { ProjectionResult } from '../../../src/analysis/dynamic/projection.ts';
import {
  type GatedMlpFigure,
  type NeuronFigure,
  type ProjectionFigure,
  gatedMlpFigure,
  neuronFigure,
  projectionFigure,
} from '../../../src/analysis/figures/neuronFigures.ts';
import { SpecFigures } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

export function NeuronView({ data, params }: PanelViewProps) {
  const r = data as NeuronActivationResult;
  const figure = params.figure as NeuronFigure;
  const drawable = r.reads.filter(
    (read) =>
      (figure !== 'observation' || read.observation) &&
      (figure !== 'neurons' || read.components.labels.some((l) => /^L\d+N\d+$/.test(l))),
  );
  return (
    <div className="neuron">
      <p className="summary">
        {r.neuron.label} at {r.tokenLabel}:{' '}
        {r.reads.map((read) => `${read.kind} ${read.value.toFixed(3)}`).join(', ')} · hook_post{' '}
        {r.post.toFixed(3)} · DTI’s estimate {r.dti.estimate.toFixed(3)} vs hook_pre {r.dti.cache.toFixed(3)}
        {r.gated && <span className="muted"> (DTI’s estimate reads W_in: wrong for a gated MLP)</span>}
      </p>
      {drawable.length === 0 && (
        <p className="muted">
          {figure === 'observation'
            ? `${r.tokenLabel} is not a state token: no observation features.`
            : `No neurons feed into neurons in layer ${r.neuron.layer}.`}
        </p>
      )}
      <SpecFigures
        specs={drawable.map((read) => neuronFigure(r, figure, read.kind))}
        name={`neuron-${r.neuron.label}-${figure}`}
        deps={[data, figure]}
      />
    </div>
  );
}

export function ProjectionView({ data, params }: PanelViewProps) {
  const r = data as ProjectionResult;
  const figure = params.figure as ProjectionFigure;
  return (
    <div className="projection">
      <p className="summary">
        clusters (cosine ≥ 0.5): {r.similarity.clusters.map((c) => c.join(' ')).join(' | ')}
      </p>
      <SpecFigures
        specs={[projectionFigure(r, figure)]}
        name={`projection-${figure}`}
        deps={[data, figure]}
      />
    </div>
  );
}

export function GatedMlpView({ data, params }: PanelViewProps) {
  const r = data as GatedMlpResult;
  const figure = params.figure as GatedMlpFigure;
  return (
    <div className="gated-mlp">
      <p className="summary">
        {r.byAction
          .map((a) => `${a.action}: ${a.neurons} neurons, mean gate ${a.meanGate.toFixed(3)}`)
          .join(' · ')}
      </p>
      <SpecFigures specs={[gatedMlpFigure(r, figure)]} name={`gated-mlp-${figure}`} deps={[data, figure]} />
    </div>
  );
}
