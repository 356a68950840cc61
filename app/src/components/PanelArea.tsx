/**
 * The open analysis panels, side by side: each with its title, help paragraph, settings, and its view,
 * error or loading state. Job panels get Run / Cancel and a progress bar; their work runs in the
 * worker while play and the other panels keep updating.
 */
import { useState } from 'react';
import { GROUP_TITLES, panelById } from '../../../src/session/panels/index.ts';
import type { ParamValues } from '../../../src/session/params.ts';
import type { EngineCommand, ModelInfo, PanelOutcome, SessionView } from '../../../src/session/protocol.ts';
import type { UrlPanel } from '../../../src/session/urlState.ts';
import type { JobHandle } from '../engineClient.ts';
import { PANEL_VIEWS } from '../panels/registry.tsx';
import { SettingsForm } from './SettingsForm.tsx';

interface Props {
  model: ModelInfo;
  view: SessionView;
  panels: UrlPanel[];
  results: Record<string, PanelOutcome>;
  onChange: (panels: UrlPanel[]) => void;
  runJob: (panel: UrlPanel, progress: (done: number, total: number) => void) => JobHandle;
  command?: (command: EngineCommand) => void;
}

interface JobState {
  handle: JobHandle | null;
  progress: [number, number] | null;
  outcome: PanelOutcome | null;
}

export function PanelArea({ model, view, panels, results, onChange, runJob, command }: Props) {
  const [help, setHelp] = useState<ReadonlySet<string>>(new Set());
  const [jobs, setJobs] = useState<Record<string, JobState>>({});
  const close = (id: string) => onChange(panels.filter((p) => p.id !== id));
  const setParams = (id: string, params: ParamValues) =>
    onChange(panels.map((p) => (p.id === id ? { id, params } : p)));
  const updateJob = (id: string, patch: Partial<JobState>) =>
    setJobs((all) => ({
      ...all,
      [id]: { ...(all[id] ?? { handle: null, progress: null, outcome: null }), ...patch },
    }));
  const start = (panel: UrlPanel) => {
    const handle = runJob(panel, (done, total) => updateJob(panel.id, { progress: [done, total] }));
    updateJob(panel.id, { handle, progress: [0, 0] });
    void handle.outcome.then((outcome) => updateJob(panel.id, { handle: null, outcome }));
  };

  return (
    <div className="panel-grid">
      {panels.map((p) => {
        const spec = panelById(p.id);
        const entry = PANEL_VIEWS[p.id];
        if (!spec || !entry) return null;
        const job = spec.scope === 'job' ? jobs[p.id] : undefined;
        const outcome = spec.scope === 'job' ? job?.outcome : results[p.id];
        const running = !!job?.handle;
        return (
          <section key={p.id} className="card panel" data-panel={p.id} aria-label={spec.title}>
            <div className="card-head">
              <h2>{spec.title}</h2>
              <span className="badge">{GROUP_TITLES[spec.group]}</span>
              <button
                type="button"
                className={`chip toggle ${help.has(p.id) ? 'on' : ''}`}
                aria-label={`help for ${spec.title}`}
                aria-pressed={help.has(p.id)}
                onClick={() =>
                  setHelp((h) => {
                    const next = new Set(h);
                    if (!next.delete(p.id)) next.add(p.id);
                    return next;
                  })
                }
              >
                ?
              </button>
              <button
                type="button"
                className="chip"
                aria-label={`close ${spec.title}`}
                onClick={() => close(p.id)}
              >
                ✕
              </button>
            </div>
            {help.has(p.id) && <p className="help">{spec.help}</p>}
            {!entry.ownsSettings && (
              <SettingsForm
                schema={spec.params}
                params={p.params}
                disabled={running}
                onChange={(params) => setParams(p.id, params)}
              />
            )}
            {entry.Controls && <entry.Controls command={command} />}
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
                  <span className="muted">
                    {job.progress[0]} / {job.progress[1] || '…'}
                  </span>
                )}
              </div>
            )}
            {!outcome && spec.scope !== 'job' && <div className="muted">computing…</div>}
            {!outcome && spec.scope === 'job' && !running && <div className="muted">not run yet</div>}
            {outcome && !outcome.ok && <div className="banner error">{outcome.error.message}</div>}
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
      })}
    </div>
  );
}
