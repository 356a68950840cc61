/** Logit direction: one action, or positive minus negative action (default left − right, as DTI). */
import type { PanelViewProps } from './types.ts';

export function DirectionControls({ model, params, setParams }: Omit<PanelViewProps, 'data'>) {
  const positive = Number(params.positive ?? 0);
  const negative = Number(params.negative ?? 1);
  return (
    <div className="row">
      <label className="field">
        <span>Logit direction</span>
        <select
          aria-label="positive action"
          value={positive}
          onChange={(e) => setParams({ ...params, positive: Number(e.target.value) })}
        >
          {model.actionNames.map((a, i) => (
            <option key={a} value={i} disabled={i === negative}>
              {a}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>minus</span>
        <select
          aria-label="negative action"
          value={negative}
          onChange={(e) => setParams({ ...params, negative: Number(e.target.value) })}
        >
          <option value={-1}>nothing (single action)</option>
          {model.actionNames.map((a, i) => (
            <option key={a} value={i} disabled={i === positive}>
              {a}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
