/**
 * MiniGrid's `OneHotPartialObsWrapper`: each (object, colour, state) cell becomes 20 bits,
 * `[object 0-10 | 11 + colour 0-5 | 17 + state 0-2]`, exactly three ones per cell.
 */
import { OBJECT_NAMES, COLOR_IDX_NAMES, STATE_NAMES } from '../core/constants.ts';
import type { Obs } from '../core/types.ts';
import { ObservationWrapper } from './observationWrapper.ts';

export const N_OBJECTS = OBJECT_NAMES.length;
export const N_COLORS = COLOR_IDX_NAMES.length;
export const N_STATES = STATE_NAMES.length;
/** Channels of a one-hot cell (20). */
export const ONE_HOT_CHANNELS = N_OBJECTS + N_COLORS + N_STATES;

/** One-hot encodes a dense `[X][Y][3]` image into `[X][Y][20]` (same cell order). */
export function oneHotImage(image: Uint8Array, nCells: number): Uint8Array {
  const out = new Uint8Array(nCells * ONE_HOT_CHANNELS);
  for (let k = 0; k < nCells; k++) {
    const base = k * ONE_HOT_CHANNELS;
    out[base + image[k * 3]] = 1;
    out[base + N_OBJECTS + image[k * 3 + 1]] = 1;
    out[base + N_OBJECTS + N_COLORS + image[k * 3 + 2]] = 1;
  }
  return out;
}

export class OneHotPartialObsWrapper extends ObservationWrapper {
  protected observation(obs: Obs): Obs {
    const [x, y] = obs.shape;
    return { ...obs, image: oneHotImage(obs.image, x * y), shape: [x, y, ONE_HOT_CHANNELS] };
  }
}
