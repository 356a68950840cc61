/** CircuitsVis-style attention: a thumbnail per head (hover to focus, click to lock), the focused pattern. */
import { useState } from 'react';
import type { AttentionResult } from '../../../src/analysis/dynamic/attention.ts';
import { Figure } from '../figures/Figure.tsx';
import { maxAbs, sequentialRgb, signedRgb } from '../../../src/analysis/figures/colours.ts';
import { MiniMatrix } from '../figures/miniMatrix.tsx';
import { heatmapDraws, matrixCells } from '../figures/plots.ts';
import type { PanelViewProps } from './types.ts';

/** Attention to a later token (key after query) is masked. */
const masked = (query: number, key: number) => key > query;

export function AttentionView({ model, data, params, setParams }: PanelViewProps) {
  const r = data as AttentionResult;
  const [hover, setHover] = useState<number | null>(null);
  const head = params.head as number;
  const locked = head >= 0 && head < r.headLabels.length ? head : null;
  const setLocked = (h: number | null) => setParams({ ...params, head: h ?? -1 });
  const focus = hover ?? locked ?? 0;
  const P = r.tokenLabels.length;
  const block = P * P;
  const scores = r.values === 'scores';
  const headData = (i: number) => r.data.data.subarray(i * block, (i + 1) * block);
  // One colour range for every head, scaled to the data (masked entries excluded).
  const limit = maxAbs(r.data.data);
  const color = scores ? (v: number) => signedRgb(v, limit) : (v: number) => sequentialRgb(v, limit);
  const cells = matrixCells(headData(focus), r.tokenLabels, r.tokenLabels);
  const label = r.headLabels[focus];
  const thumb = Math.max(2, Math.floor(96 / P));
  return (
    <div className="attention">
      <div className="row">
        <label className="field">
          <span>Show</span>
          <select
            value={String(params.values ?? 'pattern')}
            onChange={(e) => setParams({ ...params, values: e.target.value })}
          >
            <option value="pattern">pattern (softmax)</option>
            <option value="scores">scores (pre-softmax)</option>
          </select>
        </label>
        <label className="field">
          <span>Value weighting</span>
          <select
            value={String(params.weighting ?? 'none')}
            disabled={scores}
            onChange={(e) => setParams({ ...params, weighting: e.target.value })}
          >
            <option value="none">none</option>
            <option value="key">× ‖v‖ of the key</option>
            <option value="dti-compat">× ‖v‖ of the query (DTI quirk)</option>
          </select>
        </label>
        <span className="muted">
          {locked === null
            ? 'hover a head to focus, click to lock'
            : `locked on ${r.headLabels[locked]} (click to unlock)`}
        </span>
      </div>
      <div
        className="head-grid"
        style={{ gridTemplateColumns: `repeat(${r.nHeads}, auto)` }}
        onMouseLeave={() => setHover(null)}
      >
        {r.headLabels.map((h, i) => (
          <button
            key={h}
            type="button"
            className={`head-thumb ${i === focus ? 'focus' : ''} ${i === locked ? 'locked' : ''}`}
            data-head={h}
            onMouseEnter={() => setHover(i)}
            onClick={() => setLocked(locked === i ? null : i)}
          >
            <MiniMatrix
              data={headData(i)}
              rows={P}
              cols={P}
              cell={thumb}
              color={color}
              masked={masked}
              title={h}
            />
            <span>
              {h} · H={r.summaries[i].atQuery.entropy.toFixed(2)}
            </span>
          </button>
        ))}
      </div>
      <Figure
        name={`attention-${label}-${r.values}`}
        title={`${label}: ${scores ? 'attention scores' : 'attention pattern'}${r.valueWeighting !== 'none' ? ' (value-weighted)' : ''} — query (rows) × key (columns)`}
        settings={`values=${r.values}, weighting=${r.valueWeighting}, query ${r.tokenLabels[r.query]}, weights ${model.weights}`}
        rows={cells.map((c) => ({ head: label, query: c.row, key: c.col, value: c.value }))}
        deps={[r, focus]}
        {...heatmapDraws(
          cells.map((c) => ({ ...c, value: masked(c.r, c.c) ? NaN : c.value })),
          {
            rowLabels: r.tokenLabels,
            colLabels: r.tokenLabels,
            xLabel: 'key',
            yLabel: 'query',
            scheme: scores ? 'diverging' : 'sequential',
            limit,
            legend: scores ? 'attention score' : 'attention probability',
          },
        )}
      />
    </div>
  );
}
