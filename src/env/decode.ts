/** Turning observations back into named objects for display (DTI's `reverse_one_hot` + `Grid.decode`). */
import { check } from '../errors.ts';
import {
  COLOR_IDX_NAMES,
  OBJECT_NAMES,
  STATE_NAMES,
  type ColorName,
  type ObjectName,
  type StateName,
} from './core/constants.ts';
import type { Obs } from './core/types.ts';
import { N_COLORS, N_OBJECTS, N_STATES, ONE_HOT_CHANNELS } from './wrappers/oneHot.ts';

/** One view cell as names; `x` left to right, `y` far to near. */
export interface ObsCell {
  x: number;
  y: number;
  object: ObjectName;
  color: ColorName;
  state: StateName;
}

function argmax(values: Uint8Array, start: number, count: number): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (values[start + i] > values[start + best]) best = i;
  return best;
}

/** The dense `[X][Y][3]` image of an observation; one-hot images are reversed by argmax per channel group. */
export function denseImage(obs: Pick<Obs, 'image' | 'shape'>): Uint8Array {
  const [X, Y, C] = obs.shape;
  check(C === 3 || C === ONE_HOT_CHANNELS, 'BAD_SHAPE', `observation has ${C} channels, expected 3 or 20`);
  check(
    obs.image.length === X * Y * C,
    'BAD_SHAPE',
    `image has ${obs.image.length} values, shape ${obs.shape}`,
  );
  if (C === 3) return obs.image;
  const out = new Uint8Array(X * Y * 3);
  for (let k = 0; k < X * Y; k++) {
    const base = k * C;
    out[k * 3] = argmax(obs.image, base, N_OBJECTS);
    out[k * 3 + 1] = argmax(obs.image, base + N_OBJECTS, N_COLORS);
    out[k * 3 + 2] = argmax(obs.image, base + N_OBJECTS + N_COLORS, N_STATES);
  }
  return out;
}

/** Every cell of an observation with its object, colour and state names, x-major. */
export function decodeObsCells(obs: Pick<Obs, 'image' | 'shape'>): ObsCell[] {
  const [X, Y] = obs.shape;
  const dense = denseImage(obs);
  const cells: ObsCell[] = [];
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      const k = (x * Y + y) * 3;
      const [o, c, s] = [dense[k], dense[k + 1], dense[k + 2]];
      check(
        o < OBJECT_NAMES.length && c < COLOR_IDX_NAMES.length && s < STATE_NAMES.length,
        'BAD_INPUT',
        `cell (${x},${y}) has invalid code (${o},${c},${s})`,
      );
      cells.push({ x, y, object: OBJECT_NAMES[o], color: COLOR_IDX_NAMES[c], state: STATE_NAMES[s] });
    }
  }
  return cells;
}
