/**
 * Views of the features panels (issue 16): probe accuracy by hook point with the shuffled-label control,
 * the SAE's metrics (with its download), a latent's feature dashboard, and analyses across a
 * checkpoint series (with the control loading its files).
 */
import type { ProbeSweepResult } from '../../../src/analysis/features/probe.ts';
import { useState } from 'react';
import type {
  CompositionAcrossTraining,
  HeadTypesAcrossTraining,
  ProbesAcrossTraining,
} from '../../../src/analysis/features/acrossTraining.ts';
import {
  acrossTrainingFigure,
  compositionAcrossTrainingFigure,
  headTypesAcrossTrainingFigure,
  probeAccuracyFigure,
} from '../../../src/analysis/figures/featureFigures.ts';
import {
  featureActionsFigure,
  featureCorrelationFigure,
  featureHistogramFigure,
  featureObservationFigure,
  saeLossFigure,
} from '../../../src/analysis/figures/saeFigures.ts';
import { windowConditionsFigure } from '../../../src/analysis/figures/closedLoopFigures.ts';
import type { SaeDashboardResult, SaeSteerResult, SaeTrainResult } from '../../../src/session/panels/sae.ts';
import { ClosedLoopResults } from './Causal2Views.tsx';
import { download } from '../figures/exportFigure.ts';
import { SpecFigures } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

export function ProbeSweepView({ data }: PanelViewProps) {
  const result = data as ProbeSweepResult;
  const specs = [
    probeAccuracyFigure([{ name: 'model', result }], { metrics: ['accuracy'] }),
    probeAccuracyFigure([{ name: 'model', result }], { metrics: ['shuffled'] }),
  ];
  return <SpecFigures specs={specs} name="probe-sweep" deps={[data]} />;
}

export function SaeView({ data }: PanelViewProps) {
  const r = data as SaeTrainResult;
  const s = r.statistics;
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return (
    <div className="sae">
      <p className="summary" data-testid="sae-summary">
        {r.latents} latents on {r.hook}
        {r.outputHook ? ` → ${r.outputHook} (transcoder)` : ''} ({r.token} token) of {r.windows} windows,{' '}
        {r.steps} steps: explained variance {s.explainedVariance.toFixed(3)}, relative error{' '}
        {s.relativeError.toFixed(3)}, L0 {s.l0.toFixed(2)}, dead {pct(s.deadFraction)}, dense{' '}
        {pct(s.denseFraction)}
        {r.spliced
          ? `; spliced action loss ${r.spliced.splicedLoss.toFixed(3)} (clean ${r.spliced.cleanLoss.toFixed(3)}, ` +
            `zero-ablated ${r.spliced.zeroAblationLoss.toFixed(3)}), loss recovered ` +
            `${pct(r.spliced.lossRecovered)}, same action ${pct(r.spliced.sameAction)}`
          : ''}
        .{' '}
        <button
          type="button"
          onClick={() =>
            download(new Blob([r.file as BlobPart], { type: 'application/octet-stream' }), 'sae.safetensors')
          }
        >
          Download SAE (safetensors)
        </button>
      </p>
      <SpecFigures specs={[saeLossFigure(r.losses, r.kind)]} name="sae-loss" deps={[data]} />
      <table className="small">
        <thead>
          <tr>
            <th>label class</th>
            <th>best latent</th>
            <th>r</th>
          </tr>
        </thead>
        <tbody>
          {r.bestLatents.map((b) => (
            <tr key={`${b.label}=${b.class}`}>
              <td>
                {b.label}={b.class}
              </td>
              <td>{b.latent}</td>
              <td>{b.r.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SaeDashboardView({ data }: PanelViewProps) {
  const { dashboard: d, views, hook, outputHook } = data as SaeDashboardResult;
  const specs = [
    featureHistogramFigure(d),
    featureActionsFigure(d),
    featureObservationFigure(d),
    featureCorrelationFigure(d),
  ].filter((s) => s !== null);
  return (
    <div className="sae-dashboard">
      <p className="summary">
        Latent {d.latent} of the {outputHook ? `transcoder ${hook} → ${outputHook}` : `SAE on ${hook}`}:
        top-activating windows (agent view at the token read)
      </p>
      <div className="figure-row" data-testid="sae-top-windows">
        {views.map((v, i) => (
          <figure key={v.window}>
            <div className="svg-box small" dangerouslySetInnerHTML={{ __html: v.svg }} />
            <figcaption className="small">
              window {v.window}, {v.token}: {d.top[i].activation.toFixed(3)}
            </figcaption>
          </figure>
        ))}
      </div>
      <SpecFigures specs={specs} name={`sae-latent-${d.latent}`} deps={[data]} />
    </div>
  );
}

/** Loads the checkpoints of a training series (several files at once) into the session. */
export function SeriesFilesControl({ command }: Pick<PanelViewProps, 'command'>) {
  const [loaded, setLoaded] = useState<string[]>([]);
  if (!command) return null;
  return (
    <p className="small">
      <label>
        checkpoints of a training series:{' '}
        <input
          type="file"
          multiple
          accept=".pt,.safetensors"
          aria-label="series checkpoints"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            if (!files.length) return;
            void Promise.all(files.map((f) => f.arrayBuffer())).then((buffers) => {
              command({
                type: 'setSeries',
                files: files.map((f, i) => ({ name: f.name, bytes: new Uint8Array(buffers[i]) })),
              });
              setLoaded(files.map((f) => f.name));
            });
          }}
        />
      </label>
      {loaded.length > 0 && <span className="muted"> sent {loaded.join(', ')} to the session</span>}
    </p>
  );
}

type AcrossResult =
  | ({ analysis: 'composition' } & CompositionAcrossTraining)
  | ({ analysis: 'head-types' } & HeadTypesAcrossTraining)
  | ({ analysis: 'probes' } & ProbesAcrossTraining);

export function AcrossTrainingView({ data }: PanelViewProps) {
  const r = data as AcrossResult;
  const spec =
    r.analysis === 'composition'
      ? compositionAcrossTrainingFigure(r)
      : r.analysis === 'head-types'
        ? headTypesAcrossTrainingFigure(r)
        : acrossTrainingFigure(r);
  return <SpecFigures specs={[spec]} name={`across-training-${r.analysis}`} deps={[data]} />;
}

export function SaeSteerView({ data }: PanelViewProps) {
  const r = data as SaeSteerResult;
  const verdicts = r.result.verdicts
    .map((v) => `${v.condition}: ${v.follows ? 'behaviour follows' : 'no effect beyond its control'}`)
    .join('; ');
  return (
    <div className="sae-steer">
      <SpecFigures
        specs={[windowConditionsFigure(r.window)]}
        name={`sae-steer-window-${r.latent}`}
        deps={[data]}
      />
      <ClosedLoopResults
        result={r.result}
        description={`${r.op} latent ${r.latent} of the SAE on ${r.hook} (${r.token} tokens). ${verdicts}`}
      />
    </div>
  );
}
