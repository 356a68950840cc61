/**
 * A form for a panel's settings schema (choices, numbers, text), for panels whose view draws none.
 * Settings that do not apply under the current values (`shownWhen`) are hidden; a value the schema
 * refuses is marked on its field with the reason, and the setting keeps its last valid value.
 */
import { useState } from 'react';
import type { ParamSchema, ParamValues } from '../../../src/session/params.ts';
import { parseParam, shownParams } from '../../../src/session/params.ts';

interface Props {
  schema: ParamSchema;
  params: ParamValues;
  onChange: (params: ParamValues) => void;
  disabled?: boolean;
}

export function SettingsForm({ schema, params, onChange, disabled }: Props) {
  const [refused, setRefused] = useState<Record<string, string>>({});
  const entries = Object.entries(shownParams(schema, params));
  if (entries.length === 0) return null;
  const set = (key: string, raw: string) => {
    const parsed = parseParam(schema[key], raw);
    const { [key]: _, ...others } = refused;
    setRefused(parsed.ok ? others : { ...others, [key]: `'${raw}': ${parsed.reason}; kept ${params[key]}` });
    if (parsed.ok) onChange({ ...params, [key]: parsed.value });
  };
  return (
    <div className="row settings">
      {entries.map(([key, spec]) => (
        <label key={key} className="field">
          <span>{spec.label ?? key}</span>
          {spec.kind === 'choice' ? (
            <select
              aria-label={spec.label ?? key}
              value={String(params[key])}
              disabled={disabled}
              onChange={(e) => set(key, e.target.value)}
            >
              {spec.choices.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          ) : (
            <input
              aria-label={spec.label ?? key}
              type={spec.kind === 'text' ? 'text' : 'number'}
              min={spec.kind === 'text' ? undefined : spec.min}
              max={spec.kind === 'text' ? undefined : spec.max}
              step={spec.kind === 'int' ? 1 : 'any'}
              defaultValue={String(params[key])}
              disabled={disabled}
              aria-invalid={key in refused}
              onBlur={(e) => set(key, e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && set(key, e.currentTarget.value)}
            />
          )}
          {refused[key] && (
            <span className="field-error" role="alert">
              {refused[key]}
            </span>
          )}
        </label>
      ))}
    </div>
  );
}
