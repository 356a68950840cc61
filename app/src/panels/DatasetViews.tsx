/** Views of the Dataset panels: the session's dataset (sample or load a file) and the analyses over it. */
import { kurtosisFigure, normsFigure } from '../../../src/analysis/figures/datasetFigures.ts';
import type { KurtosisResult, NormsResult } from '../../../src/analysis/scans/cacheStats.ts';
import type { DatasetSummary } from '../../../src/session/panels/dataset.ts';
import { SpecFigures } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

/**
 * Loads a `dtlens dataset` file as the session's dataset (the worker validates it against the model: a
 * bad file is the page's error banner) and says which dataset the session holds now.
 */
export function DatasetFileControl({ command, view }: Pick<PanelViewProps, 'command' | 'view'>) {
  if (!command) return null;
  return (
    <p className="small">
      <label>
        or load a dataset file:{' '}
        <input
          type="file"
          accept=".safetensors"
          aria-label="dataset file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            void f.arrayBuffer().then((b) => command({ type: 'setDataset', bytes: new Uint8Array(b) }));
          }}
        />
      </label>{' '}
      <span className="muted" data-testid="session-dataset">
        {view.dataset ? `session dataset: ${datasetLine(view.dataset)}` : 'no dataset in this session yet'}
      </span>
    </p>
  );
}

const datasetLine = (d: DatasetSummary) =>
  `${d.windows} windows of ${d.maxLen} timesteps from ${d.episodes} episodes (${d.envId})`;

export function DatasetView({ data }: PanelViewProps) {
  const d = data as DatasetSummary;
  const rates = d.source.success_rate_by_rtg as number[] | undefined;
  const targets = d.source.rtgs as number[] | undefined;
  return (
    <p className="summary" data-testid="dataset-summary">
      {datasetLine(d)}
      {rates &&
        targets &&
        `; success rate ${rates.map((r, i) => `${r.toFixed(2)} at RTG ${targets[i]}`).join(', ')}`}
      : the session’s dataset.
    </p>
  );
}

export function DatasetNormsView({ data, params }: PanelViewProps) {
  const which = params.which as 'states' | 'components';
  return (
    <SpecFigures
      specs={[normsFigure(data as NormsResult, which)]}
      name={`dataset-norms-${which}`}
      deps={[data, which]}
    />
  );
}

export function DatasetKurtosisView({ data }: PanelViewProps) {
  const r = data as KurtosisResult;
  return (
    <div className="dataset-kurtosis">
      <p className="summary">
        privileged:{' '}
        {r.hooks
          .filter((h) => h.privileged)
          .map((h) => h.hook)
          .join(', ') || 'none'}
      </p>
      <SpecFigures specs={[kurtosisFigure(r)]} name="dataset-kurtosis" deps={[data]} />
    </div>
  );
}
