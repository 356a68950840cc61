/**
 * Panel settings: a small schema per panel, its defaults, and the text form settings take in the URL
 * (`<panel id>.<name>=value`). Parsing reports why a value was refused, so the app can show a notice
 * naming it instead of silently falling back.
 */
import { check } from '../errors.ts';

export type ParamSpec =
  /** An integer in [min, max] (inclusive; both optional). */
  (
    | { kind: 'int'; default: number; min?: number; max?: number }
    /** A finite number in [min, max]. */
    | { kind: 'number'; default: number; min?: number; max?: number }
    | { kind: 'choice'; default: string; choices: readonly string[] }
    /** Free text matching `pattern` (e.g. a hook name), at most `maxLength` (default 200) characters. */
    | { kind: 'text'; default: string; pattern?: RegExp; maxLength?: number }
  ) & {
    /** Label of the app's generic settings form (default: the setting's name). */
    label?: string;
    /**
     * Shown in the settings form only while every named choice setting of the same schema has one of
     * the listed values (e.g. the neuron of the `neuron` metric), or, given alternatives, while one of
     * them holds; the value is kept and read either way.
     */
    shownWhen?: ShownWhen | readonly ShownWhen[];
  };

/** Choice setting name -> the values under which a setting applies. */
export type ShownWhen = Readonly<Record<string, readonly string[]>>;

/** Settings of one panel, by name. */
export type ParamSchema = Readonly<Record<string, ParamSpec>>;
export type ParamValue = number | string;
export type ParamValues = Record<string, ParamValue>;

const isAlternatives = (w: ShownWhen | readonly ShownWhen[]): w is readonly ShownWhen[] => Array.isArray(w);

/** The alternatives of a setting's `shownWhen` (none: always shown). */
export const shownAlternatives = (spec: ParamSpec): readonly ShownWhen[] =>
  spec.shownWhen === undefined ? [] : isAlternatives(spec.shownWhen) ? spec.shownWhen : [spec.shownWhen];

/** Whether a setting applies under `values` (its `shownWhen`); the app's forms show only these. */
export const isShown = (spec: ParamSpec, values: ParamValues): boolean => {
  const alternatives = shownAlternatives(spec);
  return (
    alternatives.length === 0 ||
    alternatives.some((when) =>
      Object.entries(when).every(([name, allowed]) => allowed.includes(String(values[name]))),
    )
  );
};

/** The settings of `schema` that apply under `values`, in schema order. */
export const shownParams = (schema: ParamSchema, values: ParamValues): ParamSchema =>
  Object.fromEntries(Object.entries(schema).filter(([, spec]) => isShown(spec, values)));

/**
 * `schema` with `when` added to every setting's conditions (a group of settings that applies together);
 * with alternatives, each setting applies when its own conditions and one of them hold.
 */
export const shownWhenAll = (schema: ParamSchema, when: ShownWhen | readonly ShownWhen[]): ParamSchema =>
  Object.fromEntries(
    Object.entries(schema).map(([name, spec]) => {
      const own = shownAlternatives(spec);
      const added = isAlternatives(when) ? when : [when];
      const merged = (own.length ? own : [{}]).flatMap((o) => added.map((a) => ({ ...o, ...a })));
      return [name, { ...spec, shownWhen: merged.length === 1 ? merged[0] : merged }];
    }),
  );

const MAX_TEXT = 200;

/** A comma-separated list of finite numbers (`0.5,1,2`); BAD_INPUT naming the entry (`what`) that is not one. */
export function numberList(text: string, what: string): number[] {
  return text.split(',').map((s) => {
    const v = s.trim() === '' ? NaN : Number(s);
    check(Number.isFinite(v), 'BAD_INPUT', `${what} '${s}' is not a number`);
    return v;
  });
}

/** Every setting at its default. */
export function defaultParams(schema: ParamSchema): ParamValues {
  return Object.fromEntries(Object.entries(schema).map(([k, s]) => [k, s.default]));
}

/** The value a URL string stands for, or the reason it is refused. */
export function parseParam(
  spec: ParamSpec,
  raw: string,
): { ok: true; value: ParamValue } | { ok: false; reason: string } {
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (spec.kind === 'int' ? !Number.isSafeInteger(n) : !Number.isFinite(n))
        return { ok: false, reason: spec.kind === 'int' ? 'not an integer' : 'not a number' };
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return { ok: false, reason: `outside ${spec.min ?? '-∞'}..${spec.max ?? '∞'}` };
      return { ok: true, value: n };
    }
    case 'choice':
      return spec.choices.includes(raw)
        ? { ok: true, value: raw }
        : { ok: false, reason: `not one of ${spec.choices.join(', ')}` };
    case 'text':
      return raw.length <= (spec.maxLength ?? MAX_TEXT) && (!spec.pattern || spec.pattern.test(raw))
        ? { ok: true, value: raw }
        : { ok: false, reason: 'not a valid value' };
  }
}

/**
 * Settings as the worker receives them: every schema key present, values that do not fit the schema
 * replaced by defaults (the UI has already reported them), unknown keys dropped.
 */
export function normalizeParams(schema: ParamSchema, params: Readonly<Record<string, unknown>>): ParamValues {
  const out = defaultParams(schema);
  for (const [k, spec] of Object.entries(schema)) {
    const v = params[k];
    if (v === undefined) continue;
    const parsed = parseParam(spec, String(v));
    if (parsed.ok) out[k] = parsed.value;
  }
  return out;
}
