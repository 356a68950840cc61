/** Cache browser: any hook point as a heatmap; pick the row and column dimensions and fix the others. */
import type { CacheSlice } from '../../../src/analysis/dynamic/cacheBrowser.ts';
import { Figure } from '../figures/Figure.tsx';
import { heatmapDraws, matrixCells } from '../figures/plots.ts';
import type { PanelViewProps } from './types.ts';

export function CacheView({ model, data, params, setParams }: PanelViewProps) {
  const s = data as CacheSlice;
  const [R, C] = s.data.shape;
  const cells = matrixCells(s.data.data, s.rowLabels, s.colLabels);
  const fixedText = Object.entries(s.fixed)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const choose = (key: 'rows' | 'cols', dim: string) => setParams({ ...params, [key]: dim, fixed: '' });
  /** `dim:i,...` of the fixed indices (the panel's URL form). */
  const fixedParam = (fixed: Record<string, number>) =>
    Object.entries(fixed)
      .map(([k, v]) => `${k}:${v}`)
      .join(',');
  return (
    <div className="cache">
      <div className="row">
        <label className="field">
          <span>Hook point</span>
          <select
            aria-label="hook point"
            value={s.hook}
            onChange={(e) => setParams({ hook: e.target.value, rows: '', cols: '', fixed: '' })}
          >
            {model.hookNames.map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Rows</span>
          <select value={s.rows} onChange={(e) => choose('rows', e.target.value)}>
            {s.dims.map((d) => (
              <option key={d} disabled={d === s.cols}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Columns</span>
          <select value={s.cols} onChange={(e) => choose('cols', e.target.value)}>
            {s.dims.map((d) => (
              <option key={d} disabled={d === s.rows}>
                {d}
              </option>
            ))}
          </select>
        </label>
        {Object.entries(s.fixed).map(([dim, v]) => (
          <label key={dim} className="field">
            <span>{dim}</span>
            <input
              type="number"
              min={0}
              max={s.shape[s.dims.indexOf(dim)] - 1}
              value={v}
              onChange={(e) =>
                setParams({
                  ...params,
                  rows: s.rows,
                  cols: s.cols,
                  fixed: fixedParam({ ...s.fixed, [dim]: Number(e.target.value) }),
                })
              }
            />
          </label>
        ))}
        <span className="muted">
          shape [{s.shape.join(', ')}] ({s.dims.join(', ')})
        </span>
      </div>
      <Figure
        name={`cache-${s.hook}`}
        title={`${s.hook}: ${s.rows} × ${s.cols}${fixedText ? ` at ${fixedText}` : ''}`}
        settings={`weights ${model.weights}`}
        rows={cells.map((c) => ({ [s.rows]: c.row, [s.cols]: c.col, value: c.value }))}
        deps={[s]}
        {...heatmapDraws(
          cells.map((c) => ({ ...c, value: c.value <= -1e4 ? NaN : c.value })),
          {
            rowLabels: s.rowLabels,
            colLabels: s.colLabels,
            xLabel: s.cols,
            yLabel: s.rows,
            legend: s.hook,
            text: R * C <= 100,
          },
        )}
      />
    </div>
  );
}
