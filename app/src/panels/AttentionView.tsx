/** CircuitsVis-style attention: a thumbnail per head (hover to focus, click to lock), the focused pattern. */
import { useState } from 'react';
import type { AttentionResult } from '../../../src/analysis/dynamic/attention.ts';
import { Figure } from '../figures/Figure.tsx';
import { MiniMatrix, divergingRgb, sequentialRgb } from '../figures/miniMatrix.tsx';
import { colourRange, heatmap, matrixCells } from '../figures/plots.ts';
import type { PanelViewProps } from './types.ts';

const SCORE_LIMIT = 20;
const MASKED = -1e4;

export function AttentionView({ data, params, setParams }: PanelViewProps) {
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
  let max = 0;
  if (!scores) for (const v of r.data.data) max = Math.max(max, v);
  const color = scores ? (v: number) => divergingRgb(v, SCORE_LIMIT) : (v: number) => sequentialRgb(v, max);
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
              maskBelow={scores ? MASKED : undefined}
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
        title={`${label}: ${scores ? 'attention scores' : 'attention pattern'}${r.valueWeighting !== 'none' ? ' (value-weighted)' : ''} — query (rows) × key (columns); colour ${colourRange(headData(focus), scores ? 'diverging' : 'sequential', scores ? SCORE_LIMIT : max)}`}
        rows={cells.map((c) => ({ head: label, query: c.row, key: c.col, value: c.value }))}
        deps={[r, focus]}
        draw={() =>
          heatmap(
            cells.map((c) => ({ ...c, value: c.value <= MASKED ? NaN : c.value })),
            {
              rowLabels: r.tokenLabels,
              colLabels: r.tokenLabels,
              xLabel: 'key',
              yLabel: 'query',
              scheme: scores ? 'diverging' : 'sequential',
              limit: scores ? SCORE_LIMIT : max,
            },
          )
        }
      />
    </div>
  );
}
