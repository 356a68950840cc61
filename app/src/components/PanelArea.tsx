/** The analysis panels: a chooser, then each open panel with its view, error or loading state. */
import type { ModelInfo, PanelOutcome, PanelRequest } from '../../../src/session/protocol.ts';
import { PANEL_VIEWS } from '../panels/registry.tsx';

interface Props {
  model: ModelInfo;
  panels: PanelRequest[];
  results: Record<string, PanelOutcome>;
  onChange: (panels: PanelRequest[]) => void;
}

export function PanelArea({ model, panels, results, onChange }: Props) {
  const open = new Set(panels.map((p) => p.id));
  const toggle = (id: string) =>
    onChange(
      open.has(id)
        ? panels.filter((p) => p.id !== id)
        : [...panels, { id, params: { ...PANEL_VIEWS[id].defaultParams } }],
    );
  const setParams = (id: string, params: Record<string, unknown>) =>
    onChange(panels.map((p) => (p.id === id ? { id, params } : p)));
  return (
    <section className="panels" aria-label="analysis panels">
      <div className="panel-chooser" role="group" aria-label="open analysis panels">
        <span className="muted">Analyses:</span>
        {Object.entries(PANEL_VIEWS).map(([id, v]) => (
          <button
            key={id}
            type="button"
            className={`chip toggle ${open.has(id) ? 'on' : ''}`}
            aria-pressed={open.has(id)}
            title={v.description}
            onClick={() => toggle(id)}
          >
            {v.title}
          </button>
        ))}
      </div>
      {panels.map((p) => {
        const view = PANEL_VIEWS[p.id];
        const outcome = results[p.id];
        if (!view) return null;
        return (
          <section key={p.id} className="card panel" data-panel={p.id} aria-label={view.title}>
            <div className="card-head">
              <h2>{view.title}</h2>
              <span className="muted">{view.description}</span>
              <button
                type="button"
                className="chip"
                aria-label={`close ${view.title}`}
                onClick={() => toggle(p.id)}
              >
                ✕
              </button>
            </div>
            {!outcome && <div className="muted">computing…</div>}
            {outcome && !outcome.ok && <div className="banner error">{outcome.error.message}</div>}
            {outcome?.ok && (
              <view.View
                model={model}
                data={outcome.data}
                params={p.params}
                setParams={(params) => setParams(p.id, params)}
              />
            )}
          </section>
        );
      })}
    </section>
  );
}
