/**
 * The shareable app state in a URL query: model, seed, actions taken, initial RTG and open panels.
 * `?model=MemoryGatedMLP.pt&seed=3&rtg=0.9&actions=2221&panels=attention,cache`. Parsing never throws:
 * malformed fields fall back to defaults, so a hand-edited link still opens the app.
 */
import { DEFAULT_INITIAL_RTG } from './playSession.ts';

export interface ShareableState {
  /** Model name (a served model, or the file name of one opened from disk); null if none. */
  model: string | null;
  seed: number;
  initialRtg: number;
  /** Actions taken since the reset, in order (ids 0-9). */
  actions: number[];
  /** Ids of the open panels, in display order. */
  panels: string[];
}

export const DEFAULT_STATE: Readonly<ShareableState> = {
  model: null,
  seed: 0,
  initialRtg: DEFAULT_INITIAL_RTG,
  actions: [],
  panels: [],
};

const PANEL_ID = /^[a-z][a-z0-9-]{0,39}$/;
const MAX_ACTIONS = 10_000;

/** Query string (without '?') for a state; default fields are omitted. */
export function encodeState(s: ShareableState): string {
  const q = new URLSearchParams();
  if (s.model) q.set('model', s.model);
  if (s.seed !== DEFAULT_STATE.seed) q.set('seed', String(s.seed));
  if (s.initialRtg !== DEFAULT_STATE.initialRtg) q.set('rtg', String(s.initialRtg));
  if (s.actions.length) q.set('actions', s.actions.join(''));
  if (s.panels.length) q.set('panels', s.panels.join(','));
  return q.toString();
}

/** The state a query string describes (a leading '?' is accepted). */
export function decodeState(query: string): ShareableState {
  const q = new URLSearchParams(query);
  const model = q.get('model');
  const seed = Number(q.get('seed') ?? NaN);
  const rtg = Number(q.get('rtg') ?? NaN);
  const actions = q.get('actions') ?? '';
  const panels = (q.get('panels') ?? '').split(',').filter((p) => PANEL_ID.test(p));
  return {
    model: model && model.length <= 255 ? model : null,
    seed: Number.isSafeInteger(seed) && seed >= 0 ? seed : DEFAULT_STATE.seed,
    initialRtg: q.has('rtg') && Number.isFinite(rtg) ? rtg : DEFAULT_STATE.initialRtg,
    actions: /^[0-9]*$/.test(actions) && actions.length <= MAX_ACTIONS ? Array.from(actions, Number) : [],
    panels: [...new Set(panels)],
  };
}
