/**
 * The Weights panels' view: the figure `staticFigure` makes for the panel's result and settings (the
 * same spec `dtlens analyze <static analysis>` renders), drawn with pointer tips and the usual exports;
 * composition also lists its top N edges. The shell draws the settings form.
 */
import { staticFigure } from '../../../src/analysis/figures/staticFigures.ts';
import type { StaticData } from '../../../src/analysis/static/requests.ts';
import { directionsToTensors } from '../../../src/analysis/static/directions.ts';
import { type PcaResult, pcaDirections } from '../../../src/analysis/static/embeddings.ts';
import { writeSafetensors } from '../../../src/io/safetensors.ts';
import { Figure } from '../figures/Figure.tsx';
import { download } from '../figures/exportFigure.ts';
import { specFigureProps } from './SpecFigures.tsx';
import type { PanelViewProps } from './types.ts';

export function StaticView({ data, params, setParams, command }: PanelViewProps) {
  const d = data as StaticData;
  let spec;
  try {
    spec = staticFigure(d, params);
  } catch (e) {
    return <div className="error small">{e instanceof Error ? e.message : String(e)}</div>;
  }
  const name = `${d.analysis}-${Object.values(params).join('-')}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  return (
    <div className="static-analysis">
      <Figure deps={[data, JSON.stringify(params)]} name={name} {...specFigureProps(spec)} />
      {d.analysis === 'embeddings' && d.pca && (
        <SaveDirections
          pca={d.pca}
          keep={(keep) => setParams({ ...params, keep })}
          load={command && ((bytes) => command({ type: 'setDirections', bytes }))}
        />
      )}
      {d.analysis === 'composition' && (
        <table className="small" aria-label="top compositions">
          <thead>
            <tr>
              <th>type</th>
              <th>writer</th>
              <th>reader</th>
              <th>score</th>
              <th>excess over baseline</th>
            </tr>
          </thead>
          <tbody>
            {d.top.map((e) => (
              <tr key={`${e.type}${e.writer}${e.reader}`}>
                <td>{e.type}</td>
                <td>{e.writer}</td>
                <td>{e.reader}</td>
                <td>{e.score.toFixed(4)}</td>
                <td>{e.excess.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * Keeps the first k PCA components in the session (the 'directions' vocabulary of the OV and QK
 * panels, via the `keep` setting) or downloads them as a saved-directions file (`--vocab FILE`).
 */
function SaveDirections({
  pca,
  keep,
  load,
}: {
  pca: PcaResult;
  keep: (count: number) => void;
  load?: (bytes: Uint8Array) => void;
}) {
  const k = pca.components.shape[0];
  const save = (count: number) => {
    const { tensors, metadata } = directionsToTensors(pcaDirections(pca, 'pca-directions', count));
    const bytes = writeSafetensors(tensors, metadata);
    download(new Blob([bytes.slice().buffer]), 'pca-directions.safetensors');
  };
  const firsts = Array.from({ length: Math.min(k, 4) }, (_, i) => i + 1);
  return (
    <p className="small">
      Principal components as directions (kept: the OV/QK circuits’ vocabulary “directions”):{' '}
      {firsts.map((n) => (
        <button key={n} type="button" className="chip" onClick={() => keep(n)}>
          keep first {n}
        </button>
      ))}{' '}
      {firsts.map((n) => (
        <button key={n} type="button" className="chip" onClick={() => save(n)}>
          download first {n}
        </button>
      ))}
      {load && (
        <label>
          {' '}
          or keep a saved-directions file:{' '}
          <input
            type="file"
            accept=".safetensors"
            aria-label="saved-directions file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void f.arrayBuffer().then((b) => load(new Uint8Array(b)));
            }}
          />
        </label>
      )}
    </p>
  );
}
