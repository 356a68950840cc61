/**
 * A window of a dataset drawn as the agent saw it: the observation of the timestep a token of the
 * window belongs to (`renderObservationSvg`, MiniGrid's agent view), captioned with that token.
 */
import { check } from '../../errors.ts';
import { renderObservationSvg } from '../../env/render/index.ts';
import type { WindowDataset } from '../scans/windowDataset.ts';
import type { PositionKind } from './activations.ts';

export interface WindowView {
  window: number;
  /** The token read, e.g. `S (step 12)`; A tokens belong to the step before the window's last. */
  token: string;
  /** Agent view of that token's timestep (SVG). */
  svg: string;
}

export function windowView(ds: WindowDataset, window: number, kind: PositionKind): WindowView {
  const N = ds.episode.length;
  check(
    Number.isInteger(window) && window >= 0 && window < N,
    'BAD_INPUT',
    `window ${window} is outside 0..${N - 1}`,
  );
  const T = ds.maxLen;
  const t = kind === 'A' ? T - 2 : T - 1;
  const cell = ds.obsShape.reduce((a, b) => a * b, 1);
  const o = (window * T + t) * cell;
  const image = Uint8Array.from(ds.inputs.states.data.subarray(o, o + cell));
  const step = ds.step[window] - (T - 1 - t);
  return {
    window,
    token: `${kind} (step ${step})`,
    svg: renderObservationSvg(image, ds.obsShape, { tileSize: 16 }),
  };
}
