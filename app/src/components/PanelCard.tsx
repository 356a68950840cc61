/**
 * One open analysis panel: title, group badge, help (`?`), close button, settings, and its view, error
 * or loading state; job panels get Run / Cancel and a progress bar. Memoised: it re-renders when its
 * outcome, settings, job state or the model change, not on every step (its view gets the session view
 * current when its outcome arrived).
 */
import { memo, useState } from 'react';
import { GROUP_TITLES, panelById } from '../../../src/session/panels/index.ts';
import type { ParamValues } from '../../../src/session/params.ts';
import type { EngineCommand, ModelInfo, PanelOutcome, SessionView } from '../../../src/session/protocol.ts';
import type { UrlPanel } from '../../../src/session/urlState.ts';
import type { JobHandle } from '../engineClient.ts';
import { PANEL_VIEWS } from '../panels/registry.tsx';
import { progressText } from '../progress.ts';
import { SettingsForm } from './SettingsForm.tsx';

export interface JobState {
  handle: JobHandle | null;
  progress: [number, number] | null;
  outcome: PanelOutcome | null;
}

interface Props {
  model: ModelInfo;
  view: SessionView;
  panel: UrlPanel;
  /** The latest outcome of a window or model panel (jobs keep theirs in `job`). */
  outcome: PanelOutcome | undefined;
  job: JobState | undefined;
  close: (id: string) => void;
  setParams: (id: string, params: ParamValues) => void;
  start: (panel: UrlPanel) => void;
  command?: (command: EngineCommand) => void;
  exportPair: (panel: UrlPanel) => void;
}

/** Every prop but the session view decides whether the card re-renders. */
const sameCard = (a: Props, b: Props) =>
  (Object.keys(a) as (keyof Props)[]).every((k) => k === 'view' || a[k] === b[k]);

export const PanelCard = memo(function PanelCard({
  model,
  view,
  panel: p,
  outcome: windowOutcome,
  job,
  close,
  setParams,
  start,
  command,
  exportPair,
}: Props) {
  const [help, setHelp] = useState(false);
  const spec = panelById(p.id);
  const entry = PANEL_VIEWS[p.id];
  if (!spec || !entry) return null;
  const outcome = spec.scope === 'job' ? job?.outcome : windowOutcome;
  const running = !!job?.handle;
  return (
    <section className="card panel" data-panel={p.id} aria-label={spec.title}>
      <div className="card-head">
        <h2>{spec.title}</h2>
        <span className="badge">{GROUP_TITLES[spec.group]}</span>
        <button
          type="button"
          className={`chip toggle ${help ? 'on' : ''}`}
          aria-label={`help for ${spec.title}`}
          aria-pressed={help}
          onClick={() => setHelp(!help)}
        >
          ?
        </button>
        <button type="button" className="chip" aria-label={`close ${spec.title}`} onClick={() => close(p.id)}>
          ✕
        </button>
      </div>
      {help && <p className="help">{spec.help}</p>}
      {!entry.ownsSettings && (
        <SettingsForm
          schema={spec.params}
          params={p.params}
          disabled={running}
          onChange={(params) => setParams(p.id, params)}
        />
      )}
      {entry.Controls && <entry.Controls command={command} view={view} />}
      {'corruption' in spec.params && (
        <div className="row">
          <button
            type="button"
            className="btn"
            onClick={() => exportPair(p)}
            title="the current window and its corruption as one safetensors file (clean.*, corrupted.*) that dtlens patch, path-patch and attribution-patch read"
          >
            Export pair
          </button>
        </div>
      )}
      {spec.scope === 'job' && (
        <div className="row job">
          {running ? (
            <button type="button" className="btn" onClick={() => job?.handle?.cancel()}>
              Cancel
            </button>
          ) : (
            <button type="button" className="btn primary" onClick={() => start(p)}>
              Run
            </button>
          )}
          {running && job?.progress && (
            <progress
              aria-label={`${spec.title} progress`}
              max={job.progress[1] || 1}
              value={job.progress[0]}
            />
          )}
          {running && job?.progress && (
            <span className="muted">{progressText(job.progress[0], job.progress[1])}</span>
          )}
        </div>
      )}
      {!outcome && spec.scope !== 'job' && <div className="muted">computing…</div>}
      {!outcome && spec.scope === 'job' && !running && <div className="muted">not run yet</div>}
      {outcome && !outcome.ok && outcome.error.code === 'CANCELLED' && (
        <div className="banner notice">Cancelled: press Run to compute it again.</div>
      )}
      {outcome && !outcome.ok && outcome.error.code !== 'CANCELLED' && (
        <div className="banner error">{outcome.error.message}</div>
      )}
      {outcome?.ok && (
        <entry.View
          model={model}
          view={view}
          data={outcome.data}
          params={p.params}
          setParams={(params) => setParams(p.id, params)}
          command={command}
        />
      )}
    </section>
  );
}, sameCard);
