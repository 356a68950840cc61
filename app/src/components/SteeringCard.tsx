/**
 * The play steering: settings (the current window's corrupted − clean, or a saved direction, at a hook
 * and coefficient), a switch that turns it on and off at any step of the episode (also while the model
 * runs the episode), and the unsteered and steered action probabilities of the current window side by
 * side. The engine holds the steering; this card shows `view.steering` and sends `setPlayIntervention`.
 */
import { useState } from 'react';
import { type ParamValues, defaultParams } from '../../../src/session/params.ts';
import { PLAY_STEERING_PARAMS, type PlaySteering } from '../../../src/session/playSteering.ts';
import type { ModelInfo, SessionView } from '../../../src/session/protocol.ts';
import { SettingsForm } from './SettingsForm.tsx';

interface Props {
  model: ModelInfo;
  view: SessionView;
  onSet: (steering: PlaySteering | null) => void;
}

export function SteeringCard({ model, view, onSet }: Props) {
  const steering = view.steering;
  const held = JSON.stringify(steering?.params ?? null);
  const [draft, setDraft] = useState<{ from: string; params: ParamValues }>({
    from: held,
    params: steering?.params ?? defaultParams(PLAY_STEERING_PARAMS),
  });
  // The engine's settings replace the draft whenever they change (a restored link, a weights change).
  const params = draft.from === held ? draft.params : (steering?.params ?? draft.params);
  const edited = steering !== null && JSON.stringify(params) !== held;
  return (
    <section className="card steering" aria-label="steering">
      <div className="card-head">
        <h2>Steering</h2>
        <span className={`badge ${steering?.on ? 'steered' : ''}`} data-testid="steering-state">
          {steering ? (steering.on ? `steered ×${steering.params.coefficient}` : 'steering off') : 'none'}
        </span>
        <button
          type="button"
          className={`chip toggle ${steering?.on ? 'on' : ''}`}
          aria-pressed={!!steering?.on}
          onClick={() => onSet({ on: !steering?.on, params: steering?.params ?? params })}
        >
          {steering?.on ? 'Turn off' : 'Turn on'}
        </button>
        {steering && (
          <button type="button" className="chip" onClick={() => onSet(null)}>
            Remove
          </button>
        )}
      </div>
      <SettingsForm
        key={held}
        schema={PLAY_STEERING_PARAMS}
        params={params}
        onChange={(next) => setDraft({ from: held, params: next })}
      />
      {edited && (
        <button type="button" className="btn" onClick={() => onSet({ on: steering.on, params })}>
          Apply settings
        </button>
      )}
      {steering && (
        <>
          <p className="muted" data-testid="steering-description">
            Adds {steering.params.coefficient} × {steering.description}
            {steering.identical && ' — zero for this window (the corruption changes nothing)'}. The agent acts
            on the {steering.on ? 'steered' : 'unsteered'} prediction.
          </p>
          <table className="kv" aria-label="unsteered and steered probabilities">
            <thead>
              <tr>
                <th>action</th>
                <th>unsteered</th>
                <th>steered</th>
                <th title="steered − unsteered, in percentage points">Δ (pp)</th>
              </tr>
            </thead>
            <tbody>
              {model.actionNames.map((name, a) => {
                const u = steering.unsteered.probs[a];
                const s = steering.steered.probs[a];
                const mark = (greedy: number) => (greedy === a ? ' ◀' : '');
                return (
                  <tr key={name}>
                    <th>{name}</th>
                    <td>
                      {(100 * u).toFixed(1)}%{mark(steering.unsteered.greedyAction)}
                    </td>
                    <td>
                      {(100 * s).toFixed(1)}%{mark(steering.steered.greedyAction)}
                    </td>
                    <td>
                      {s >= u ? '+' : '−'}
                      {Math.abs(100 * (s - u)).toFixed(1)} pp
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
