/**
 * How the Decision Transformer reads an observation: the `(channel, x, y)` flattening of DTI's
 * state embedding and the feature labels of its columns (`"key, (2,6)"`).
 */
import { check } from '../errors.ts';
import { COLOR_IDX_NAMES, OBJECT_NAMES, STATE_NAMES } from './core/constants.ts';
import type { Obs } from './core/types.ts';

/** The 20 one-hot channels (DTI `SPARSE_CHANNEL_NAMES`): objects, then colours, then door states. */
export const SPARSE_CHANNEL_NAMES: readonly string[] = [...OBJECT_NAMES, ...COLOR_IDX_NAMES, ...STATE_NAMES];
/** The 3 channels of a dense observation. */
export const DENSE_CHANNEL_NAMES: readonly string[] = ['object', 'color', 'state'];

/**
 * Flattens an `[x][y][c]` image to the DT's input row: column `c*X*Y + x*Y + y` (DTI's
 * `rearrange(... "h w c -> (c h w)")` with MiniGrid's x as "h"), values as float32.
 */
export function flattenObsCHW(obs: Pick<Obs, 'image' | 'shape'>): Float32Array {
  const [X, Y, C] = obs.shape;
  check(
    obs.image.length === X * Y * C,
    'BAD_SHAPE',
    `image has ${obs.image.length} values, shape ${obs.shape}`,
  );
  const out = new Float32Array(X * Y * C);
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      const src = (x * Y + y) * C;
      for (let c = 0; c < C; c++) out[c * X * Y + x * Y + y] = obs.image[src + c];
    }
  }
  return out;
}

/**
 * Label of flattened feature `i` (DTI `STATE_EMBEDDING_LABELS`): `"{channel}, ({x},{y})"` with
 * `c = i // vs²`, `x = (i % vs²) // vs`, `y = i % vs`. Example: 265 is "key, (2,6)".
 */
export function stateFeatureLabel(
  i: number,
  viewSize = 7,
  channels: readonly string[] = SPARSE_CHANNEL_NAMES,
): string {
  const cells = viewSize * viewSize;
  check(
    Number.isInteger(i) && i >= 0 && i < cells * channels.length,
    'BAD_INPUT',
    `feature index ${i} outside 0..${cells * channels.length - 1}`,
  );
  const c = Math.floor(i / cells);
  const x = Math.floor((i % cells) / viewSize);
  return `${channels[c]}, (${x},${i % viewSize})`;
}
