/** The current observation's channels as small grids, and each channel's embedding contribution. */
import { useState } from 'react';
import type { ObservationResult } from '../../../src/analysis/dynamic/observation.ts';
import { Figure } from '../figures/Figure.tsx';
import { sequentialRgb, signedRgb } from '../../../src/analysis/figures/colours.ts';
import { MiniMatrix } from '../figures/miniMatrix.tsx';
import { barsY } from '../figures/plots.ts';
import { DirectionControls } from './DirectionControls.tsx';
import type { PanelViewProps } from './types.ts';

type Layer = 'values' | 'weightProjection' | 'activationProjection';

export function ObservationView(props: PanelViewProps) {
  const r = props.data as ObservationResult;
  const [layer, setLayer] = useState<Layer>('values');
  const [onlyActive, setOnlyActive] = useState(true);
  const channels = r.channels.filter((c) => !onlyActive || c.active > 0 || layer === 'weightProjection');
  let limit = 0;
  for (const c of channels) for (const v of c[layer].data) limit = Math.max(limit, Math.abs(v));
  const contributions = [
    ...r.channels.map((c) => ({ label: c.name, value: c.embedding.logitDiff })),
    { label: 'time', value: r.time.logitDiff },
    { label: 'token', value: r.token.logitDiff },
  ];
  return (
    <div className="observation">
      <DirectionControls {...props} />
      <div className="row">
        <label className="field">
          <span>Grids show</span>
          <select value={layer} onChange={(e) => setLayer(e.target.value as Layer)}>
            <option value="values">observation values</option>
            <option value="weightProjection">weight projection on {r.direction.label}</option>
            <option value="activationProjection">activation projection (weights × values)</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={onlyActive} onChange={(e) => setOnlyActive(e.target.checked)} />{' '}
          only channels present
        </label>
        <span className="muted">
          {r.tokenLabel} at t={r.timestepValue}, {r.encoding} encoding
        </span>
      </div>
      <div className="channel-grid">
        {channels.map((c) => {
          const [Y, X] = c[layer].shape;
          return (
            <div key={c.channel} className="channel">
              <MiniMatrix
                data={c[layer].data}
                rows={Y}
                cols={X}
                cell={12}
                color={layer === 'values' ? (v) => sequentialRgb(v, limit) : (v) => signedRgb(v, limit)}
                title={c.name}
              />
              <span>{c.name}</span>
            </div>
          );
        })}
      </div>
      <Figure
        name={`observation-contributions-${r.direction.label}`}
        title={`Embedding contribution to ${r.direction.label} per channel`}
        rows={contributions.map((c) => ({ part: c.label, logit_diff: c.value }))}
        deps={[r]}
        draw={() => barsY(contributions, { yLabel: r.direction.label })}
      />
    </div>
  );
}
