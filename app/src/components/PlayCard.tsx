/** The environment: full grid (agent view highlighted), the agent's view, controls and episode status. */
import type { Frame, ModelInfo, SessionView } from '../../../src/session/protocol.ts';
import { KEY_HINTS } from '../keys.ts';

interface Props {
  model: ModelInfo;
  view: SessionView;
  frame: Frame | undefined;
  canPlay: boolean;
  running: boolean;
  initialRtg: number;
  onAction: (a: number) => void;
  onModelStep: () => void;
  onModelRun: () => void;
  onStop: () => void;
  onRtg: (r: number) => void;
}

/** SVG markup produced by dtlens' own renderer from env state (no user text inside). */
const Svg = ({ markup, label }: { markup: string; label: string }) => (
  <div className="svg-box" role="img" aria-label={label} dangerouslySetInnerHTML={{ __html: markup }} />
);

export function PlayCard({ model, view, frame, canPlay, running, initialRtg, ...on }: Props) {
  return (
    <section className="card play" aria-label="environment">
      <div className="card-head">
        <h2>{model.envId}</h2>
        <span className="muted">seed {view.seed}</span>
      </div>
      <div className="boards">
        <figure>
          {frame && <Svg markup={frame.gridSvg} label="full grid" />}
          <figcaption>World (agent view highlighted)</figcaption>
        </figure>
        <figure className="pov">
          {frame && <Svg markup={frame.obsSvg} label="agent view" />}
          <figcaption>Agent's observation</figcaption>
        </figure>
      </div>
      <div className="stats">
        <div className="stat">
          <span>Current RTG</span>
          <strong data-testid="current-rtg">{view.rtg.toFixed(2)}</strong>
        </div>
        <div className="stat">
          <span>Current time</span>
          <strong data-testid="current-time">{view.time}</strong>
        </div>
        <div className="stat">
          <span>Reward</span>
          <strong>{view.totalReward.toFixed(3)}</strong>
        </div>
      </div>
      {view.episodeEnd && (
        <div className={`banner ${view.totalReward > 0 ? 'success' : 'warn'}`} data-testid="episode-end">
          {view.episodeEnd === 'terminated'
            ? `The agent has just made a game ending move (reward ${view.totalReward.toFixed(3)}). Reset the environment to play again.`
            : `The episode reached its step limit (${view.time}). Reset the environment to play again.`}
        </div>
      )}
      <div className="actions" role="group" aria-label="actions">
        {model.actionNames.map((name, a) => (
          <button
            key={name}
            type="button"
            className="btn action"
            disabled={!canPlay}
            onClick={() => on.onAction(a)}
          >
            {name}
            <kbd>{KEY_HINTS[a]}</kbd>
          </button>
        ))}
      </div>
      <div className="row">
        <label className="field grow">
          <span>Initial RTG</span>
          <input
            type="range"
            min={Math.min(0, initialRtg)}
            max={Math.max(1, initialRtg)}
            step={0.01}
            value={initialRtg}
            aria-label="initial RTG"
            onChange={(e) => on.onRtg(Number(e.target.value))}
            onPointerUp={(e) => e.currentTarget.blur()}
          />
          <output>{initialRtg.toFixed(2)}</output>
        </label>
      </div>
      <div className="row">
        <span className="muted">Let the model act:</span>
        <button type="button" className="btn" disabled={!canPlay} onClick={on.onModelStep}>
          Step
        </button>
        {running ? (
          <button type="button" className="btn" onClick={on.onStop}>
            Stop
          </button>
        ) : (
          <button type="button" className="btn" disabled={!canPlay} onClick={on.onModelRun}>
            Run episode
          </button>
        )}
      </div>
    </section>
  );
}
