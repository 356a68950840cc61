/** The analysis browser: panels grouped (Play/Dynamic, Weights, Causal, Scans, Dataset), searchable by name. */
import { useState } from 'react';
import { GROUP_TITLES, PANELS, PANEL_GROUPS, type PanelSpec } from '../../../src/session/panels/index.ts';
import { PANEL_VIEWS } from '../panels/registry.tsx';

interface Props {
  open: ReadonlySet<string>;
  onToggle: (id: string) => void;
}

/** Whether every word of the query occurs in the panel's title, id or help text. */
export function panelMatches(spec: PanelSpec, query: string): boolean {
  const text = `${spec.title} ${spec.id} ${spec.help}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => text.includes(w));
}

export function PanelBrowser({ open, onToggle }: Props) {
  const [query, setQuery] = useState('');
  const available = PANELS.filter((p) => PANEL_VIEWS[p.id]);
  return (
    <nav className="card panel-browser" aria-label="analysis browser">
      <input
        type="search"
        className="panel-search"
        placeholder="Search analyses…"
        aria-label="search analyses"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key !== 'Enter') return;
          const candidates = available.filter((p) => panelMatches(p, query) && !open.has(p.id));
          const q = query.trim().toLowerCase();
          // a panel whose title contains the query beats one that only mentions it in its help
          const first = candidates.find((p) => p.title.toLowerCase().includes(q)) ?? candidates[0];
          if (first) onToggle(first.id);
        }}
      />
      {PANEL_GROUPS.map((group) => {
        const panels = available.filter((p) => p.group === group && panelMatches(p, query));
        return (
          <section key={group} className="panel-group" aria-label={GROUP_TITLES[group]}>
            <h3>{GROUP_TITLES[group]}</h3>
            {panels.length === 0 && <span className="muted small">{query ? 'no match' : 'none yet'}</span>}
            {panels.map((p) => (
              <button
                key={p.id}
                type="button"
                className={`chip toggle ${open.has(p.id) ? 'on' : ''}`}
                aria-pressed={open.has(p.id)}
                data-open-panel={p.id}
                title={p.help}
                onClick={() => onToggle(p.id)}
              >
                {p.title}
                {p.scope === 'job' ? ' ▸' : ''}
              </button>
            ))}
          </section>
        );
      })}
    </nav>
  );
}
