/** The window fed to the model (with DTI's left padding), the history timeline, and trajectory details. */
import { useEffect, useState } from 'react';
import type { Frame, ModelInfo, SessionView, WindowToken } from '../../../src/session/protocol.ts';
import { countOf } from '../../../src/text.ts';

function tokenText(t: WindowToken, actions: string[]): string {
  if (t.kind === 'R') return t.value.toFixed(2);
  if (t.kind === 'S') return t.padding ? 'pad' : `t=${t.value}`;
  return t.value >= actions.length ? 'pad' : actions[t.value];
}

export function TrajectoryCard({
  model,
  view,
  frames,
}: {
  model: ModelInfo;
  view: SessionView;
  frames: Frame[];
}) {
  const [selected, setSelected] = useState(frames.length - 1);
  // Collapsed by default (DTI's "Show history" expander): closed, it costs nothing per step.
  const [showHistory, setShowHistory] = useState(false);
  useEffect(() => setSelected(frames.length - 1), [frames.length]);
  const i = Math.min(Math.max(selected, 0), frames.length - 1);
  const frame = frames[i];
  const label = view.frameLabels[i];
  const t = view.trajectory;
  return (
    <section className="card trajectory" aria-label="trajectory">
      <div className="card-head">
        <h2>Trajectory</h2>
        <span className="muted">
          {countOf(view.steps, 'step')} · window of {countOf(model.maxLen, 'timestep')}
        </span>
      </div>
      <h3>Window fed to the model</h3>
      <div className="tokens" data-testid="window">
        {view.window.map((tok) => (
          <div
            key={tok.label}
            className={`token ${tok.kind} ${tok.padding ? 'padding' : ''}`}
            title={tok.padding ? 'padding' : ''}
          >
            <span className="token-label">{tok.label}</span>
            <span className="token-value">{tokenText(tok, model.actionNames)}</span>
          </div>
        ))}
      </div>
      <details
        className="history-box"
        open={showHistory}
        onToggle={(e) => setShowHistory(e.currentTarget.open)}
      >
        <summary>History ({countOf(frames.length, 'frame')})</summary>
        {showHistory && frame && (
          <div className="history">
            <div className="history-frames">
              <div className="svg-box small" dangerouslySetInnerHTML={{ __html: frame.gridSvg }} />
              <div className="svg-box small" dangerouslySetInnerHTML={{ __html: frame.obsSvg }} />
            </div>
            <div className="history-controls">
              <input
                type="range"
                min={0}
                max={frames.length - 1}
                value={i}
                aria-label="history frame"
                onChange={(e) => setSelected(Number(e.target.value))}
                onPointerUp={(e) => e.currentTarget.blur()}
              />
              <div>
                frame {i} (t={i}) ·{' '}
                <strong data-testid="frame-label">{label ? `token ${label}` : 'outside the window'}</strong>
                {i > 0 && <> · after {model.actionNames[t.actions[i - 1]]}</>}
              </div>
            </div>
            <div className="timeline" role="list" aria-label="history timeline">
              {frames.map((_, k) => (
                <button
                  key={k}
                  type="button"
                  role="listitem"
                  className={`tick ${k === i ? 'on' : ''} ${view.frameLabels[k] ? 'in-window' : ''}`}
                  onClick={() => setSelected(k)}
                  title={view.frameLabels[k] ?? 'outside the window'}
                >
                  {view.frameLabels[k] ?? '·'}
                </button>
              ))}
            </div>
          </div>
        )}
      </details>
      <details>
        <summary>Trajectory details</summary>
        <table className="kv">
          <tbody>
            <tr>
              <th>max timesteps</th>
              <td>{model.config.find(([k]) => k === 'env.max_steps')?.[1] ?? '?'}</td>
            </tr>
            <tr>
              <th>trajectory length</th>
              <td>{view.steps}</td>
            </tr>
            <tr>
              <th>actions</th>
              <td data-testid="actions-list">
                {t.actions.map((a) => model.actionNames[a]).join(', ') || '—'}
              </td>
            </tr>
            <tr>
              <th>rewards</th>
              <td>{t.rewards.map((r) => r.toFixed(3)).join(', ') || '—'}</td>
            </tr>
            <tr>
              <th>RTGs fed</th>
              <td>{t.rtgs.map((r) => r.toFixed(3)).join(', ') || '—'}</td>
            </tr>
            <tr>
              <th>timesteps fed</th>
              <td>{t.timesteps.join(', ') || '—'}</td>
            </tr>
          </tbody>
        </table>
      </details>
    </section>
  );
}
