/**
 * The shareable app state in a URL query: model, weights variant, seed, actions taken, initial RTG,
 * the chosen token position, the open panels and every panel setting that differs from its default, and
 * the play steering (`steer=on|off` and its settings that differ from their defaults, `steer.<name>`):
 * `?model=MemoryGatedMLP.pt&seed=3&rtg=0.9&actions=2221&pos=S7&panels=attention,logit-lens&attention.values=scores&steer=on&steer.layer=1`.
 * Decoding never throws: a value that cannot be used is dropped and reported in `notices` (naming the
 * parameter and the value) for the app to show; the rest of the link still applies.
 */
import { WEIGHT_VARIANTS, type WeightVariant } from '../model/processing.ts';
import { panelById } from './panels/index.ts';
import { type ParamValues, defaultParams, parseParam } from './params.ts';
import { DEFAULT_INITIAL_RTG } from './playSession.ts';
import { PLAY_STEERING_PARAMS, type PlaySteering } from './playSteering.ts';

export interface UrlPanel {
  id: string;
  /** Every setting of the panel (defaults filled in). */
  params: ParamValues;
}

export interface ShareableState {
  /** Model name (a served model, or the file name of one opened from disk); null if none. */
  model: string | null;
  weights: WeightVariant;
  seed: number;
  initialRtg: number;
  /** Actions taken since the reset, in order (ids 0-9). */
  actions: number[];
  /** Token label every window panel looks at (e.g. `S7`); null = the last S token. */
  position: string | null;
  /** The open panels, in display order. */
  panels: UrlPanel[];
  /** The play steering (every setting, defaults filled in); null = none. */
  steering: PlaySteering | null;
}

export const DEFAULT_STATE: Readonly<ShareableState> = {
  model: null,
  weights: 'raw',
  seed: 0,
  initialRtg: DEFAULT_INITIAL_RTG,
  actions: [],
  position: null,
  panels: [],
  steering: null,
};

const MAX_ACTIONS = 10_000;
const POSITION = /^[RSA][1-9][0-9]{0,3}$/;
const GLOBAL_KEYS = new Set(['model', 'weights', 'seed', 'rtg', 'actions', 'pos', 'panels', 'steer']);
const STEER = 'steer';

/** A panel with its default settings (null for an unknown id). */
export function defaultPanel(id: string): UrlPanel | null {
  const spec = panelById(id);
  return spec ? { id, params: defaultParams(spec.params) } : null;
}

/** Query string (without '?') for a state; defaults are omitted. */
export function encodeState(s: ShareableState): string {
  const q = new URLSearchParams();
  if (s.model) q.set('model', s.model);
  if (s.weights !== DEFAULT_STATE.weights) q.set('weights', s.weights);
  if (s.seed !== DEFAULT_STATE.seed) q.set('seed', String(s.seed));
  if (s.initialRtg !== DEFAULT_STATE.initialRtg) q.set('rtg', String(s.initialRtg));
  if (s.actions.length) q.set('actions', s.actions.join(''));
  if (s.position) q.set('pos', s.position);
  if (s.panels.length) q.set('panels', s.panels.map((p) => p.id).join(','));
  for (const p of s.panels) {
    const spec = panelById(p.id);
    if (!spec) continue;
    for (const [k, v] of Object.entries(p.params))
      if (spec.params[k] && v !== spec.params[k].default) q.set(`${p.id}.${k}`, String(v));
  }
  if (s.steering) {
    q.set(STEER, s.steering.on ? 'on' : 'off');
    for (const [k, v] of Object.entries(s.steering.params))
      if (PLAY_STEERING_PARAMS[k] && v !== PLAY_STEERING_PARAMS[k].default) q.set(`${STEER}.${k}`, String(v));
  }
  return q.toString();
}

/** The state a query string describes (a leading '?' is accepted) and a notice per refused value. */
export function decodeState(query: string): { state: ShareableState; notices: string[] } {
  const q = new URLSearchParams(query);
  const notices: string[] = [];
  const refuse = (key: string, value: string, why: string) =>
    notices.push(`${key}=${value.length > 40 ? `${value.slice(0, 40)}…` : value}: ${why}`);
  const state: ShareableState = { ...DEFAULT_STATE, panels: [] };

  const model = q.get('model');
  if (model !== null) {
    if (model.length > 0 && model.length <= 255) state.model = model;
    else refuse('model', model, 'not a model name');
  }
  const weights = q.get('weights');
  if (weights !== null) {
    if ((WEIGHT_VARIANTS as readonly string[]).includes(weights)) state.weights = weights as WeightVariant;
    else refuse('weights', weights, `not one of ${WEIGHT_VARIANTS.join(', ')}; using raw`);
  }
  const seed = q.get('seed');
  if (seed !== null) {
    const n = /^\d+$/.test(seed) ? Number(seed) : NaN;
    if (Number.isSafeInteger(n)) state.seed = n;
    else refuse('seed', seed, 'not a non-negative integer; using 0');
  }
  const rtg = q.get('rtg');
  if (rtg !== null) {
    const n = rtg.trim() === '' ? NaN : Number(rtg);
    if (Number.isFinite(n)) state.initialRtg = n;
    else refuse('rtg', rtg, `not a finite number; using ${DEFAULT_INITIAL_RTG}`);
  }
  const actions = q.get('actions');
  if (actions !== null) {
    if (/^[0-9]*$/.test(actions) && actions.length <= MAX_ACTIONS)
      state.actions = Array.from(actions, Number);
    else refuse('actions', actions, 'not a string of action digits 0-9; no actions replayed');
  }
  const pos = q.get('pos');
  if (pos !== null) {
    if (POSITION.test(pos)) state.position = pos;
    else refuse('pos', pos, 'not a token label such as S9; using the last S token');
  }

  const steer = q.get(STEER);
  if (steer !== null) {
    if (steer === 'on' || steer === 'off')
      state.steering = { on: steer === 'on', params: defaultParams(PLAY_STEERING_PARAMS) };
    else refuse(STEER, steer, 'not on or off; no steering');
  }

  const ids = (q.get('panels') ?? '').split(',').filter(Boolean);
  for (const id of new Set(ids)) {
    const panel = defaultPanel(id);
    if (panel) state.panels.push(panel);
    else refuse('panels', id, 'no such panel');
  }
  for (const [key, value] of q) {
    if (GLOBAL_KEYS.has(key)) continue;
    const dot = key.indexOf('.');
    if (key.slice(0, dot) === STEER) {
      const spec = PLAY_STEERING_PARAMS[key.slice(dot + 1)];
      const parsed = spec && state.steering ? parseParam(spec, value) : null;
      if (parsed?.ok) state.steering!.params[key.slice(dot + 1)] = parsed.value;
      else
        refuse(
          key,
          value,
          !state.steering
            ? 'a steering setting without steer=on|off'
            : !spec
              ? 'no such steering setting'
              : `${(parsed as { reason: string }).reason}; using ${spec.default}`,
        );
      continue;
    }
    const panel = state.panels.find((p) => p.id === key.slice(0, dot));
    const spec = dot > 0 ? panelById(key.slice(0, dot))?.params[key.slice(dot + 1)] : undefined;
    if (!panel || !spec) {
      refuse(key, value, panel ? 'no such setting' : 'not a setting of an open panel');
      continue;
    }
    const parsed = parseParam(spec, value);
    if (parsed.ok) panel.params[key.slice(dot + 1)] = parsed.value;
    else refuse(key, value, `${parsed.reason}; using ${spec.default}`);
  }
  return { state, notices };
}
