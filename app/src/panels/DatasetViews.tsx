/** Views of the Dataset panels: the session's dataset (sample or load a file) and the analyses over it. */
import { useState } from 'react';
import { kurtosisFigure, normsFigure } from '../../../src/analysis/figures/datasetFigures.ts';
import type { KurtosisResult, NormsResult } from '../../../src/analysis/scans/cacheStats.ts';
import type { DatasetSummary } from '../../../src/session/panels/dataset.ts';
import { SpecFigures } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

/** Loads a `dtlens dataset` file as the session's dataset (the worker validates it against the model). */
export function DatasetFileControl({ command }: Pick<PanelViewProps, 'command'>) {
  const [loaded, setLoaded] = useState<string | null>(null);
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
            void f.arrayBuffer().then((b) => {
              command({ type: 'setDataset', bytes: new Uint8Array(b) });
              setLoaded(f.name);
            });
          }}
        />
      </label>
      {loaded && <span className="muted"> sent {loaded} to the session</span>}
    </p>
  );
}

export function DatasetView({ data }: PanelViewProps) {
  const d = data as DatasetSummary;
  const rates = d.source.success_rate_by_rtg as number[] | undefined;
  return (
    <p className="summary" data-testid="dataset-summary">
      {d.windows} windows of {d.maxLen} timesteps from {d.episodes} episodes ({d.envId})
      {rates && `; success rate by RTG ${rates.map((r) => r.toFixed(2)).join(', ')}`}: the session’s dataset.
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
