/** The token position every per-window analysis looks at (default: the last S token, which predicts the next action). */
import type { SessionView } from '../../../src/session/protocol.ts';

interface Props {
  view: SessionView;
  /** Token label, or null for the default. */
  position: string | null;
  onChange: (label: string | null) => void;
}

export function PositionBar({ view, position, onChange }: Props) {
  return (
    <div className="row position-bar">
      <label className="field">
        <span>Position</span>
        <select
          aria-label="token position"
          value={position ?? ''}
          onChange={(e) => onChange(e.target.value || null)}
        >
          <option value="">last S token (next action)</option>
          {view.window.map((t) => (
            <option key={t.label} value={t.label}>
              {t.label}
              {t.padding ? ' (padding)' : ''}
            </option>
          ))}
        </select>
      </label>
      <span className="muted">the query / read-out position of every per-window analysis</span>
    </div>
  );
}
