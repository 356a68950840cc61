/**
 * Observation encodings: one-hot (3 ones per cell), DTI's view-size wrapper, fully observed, the
 * `make_env` chain, the DT's `(c, x, y)` flattening, feature labels and decoding back to names.
 */
import { describe, expect, it } from 'vitest';
import { IDX_TO_ACTION } from '../../../src/env/core/actions.ts';
import { decodeObsCells, denseImage } from '../../../src/env/decode.ts';
import {
  DENSE_CHANNEL_NAMES,
  SPARSE_CHANNEL_NAMES,
  flattenObsCHW,
  stateFeatureLabel,
} from '../../../src/env/features.ts';
import { makeEnv } from '../../../src/env/registry.ts';
import { makeDtiEnv } from '../../../src/env/wrappers/makeDtiEnv.ts';
import { oneHotImage } from '../../../src/env/wrappers/oneHot.ts';

describe('one-hot observations', () => {
  it('have exactly three ones per cell at object, 11 + colour and 17 + state', () => {
    const env = makeDtiEnv({ envId: 'MiniGrid-DoorKey-8x8-v0', oneHotObs: true });
    for (const seed of [0, 1, 2, 3, 4]) {
      const obs = env.reset(seed);
      expect(obs.shape).toEqual([7, 7, 20]);
      const dense = env.unwrapped.genObs().image;
      for (let k = 0; k < 49; k++) {
        const bits = obs.image.subarray(k * 20, k * 20 + 20);
        expect(bits.reduce((a, b) => a + b, 0)).toBe(3);
        expect(bits[dense[k * 3]]).toBe(1);
        expect(bits[11 + dense[k * 3 + 1]]).toBe(1);
        expect(bits[17 + dense[k * 3 + 2]]).toBe(1);
      }
    }
  });

  it('unseen (0,0,0) becomes {unseen, red, open} and a locked yellow door {door, yellow, locked}', () => {
    const bits = oneHotImage(Uint8Array.from([0, 0, 0, 4, 4, 2]), 2);
    const ones = (k: number) =>
      [...bits.subarray(k * 20, k * 20 + 20).keys()].filter((i) => bits[k * 20 + i]);
    expect(ones(0)).toEqual([0, 11, 17]);
    expect(ones(1)).toEqual([4, 15, 19]);
  });

  it('decode back to the dense image (reverse one-hot)', () => {
    const env = makeDtiEnv({ envId: 'MiniGrid-MemoryS7FixedStart-v0', oneHotObs: true });
    const obs = env.reset(0);
    expect(Array.from(denseImage(obs))).toEqual(Array.from(env.unwrapped.genObs().image));
    const cells = decodeObsCells(obs);
    expect(cells.find((c) => c.x === 2 && c.y === 6)).toEqual({
      x: 2,
      y: 6,
      object: 'ball',
      color: 'green',
      state: 'open',
    });
    expect(cells.find((c) => c.x === 1 && c.y === 2)?.object).toBe('key');
  });
});

describe('DTI make_env chain', () => {
  it('rejects one-hot together with fully observed', () => {
    expect(() =>
      makeDtiEnv({ envId: 'MiniGrid-Empty-5x5-v0', oneHotObs: true, fullyObserved: true }),
    ).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
  });

  it('passes max_steps only when truthy', () => {
    expect(makeDtiEnv({ envId: 'MiniGrid-DoorKey-5x5-v0', maxSteps: 0 }).maxSteps).toBe(250);
    expect(makeDtiEnv({ envId: 'MiniGrid-DoorKey-5x5-v0', maxSteps: 30 }).maxSteps).toBe(30);
  });

  it('view size 5 re-encodes a 5x5 view with the agent at (2,4)', () => {
    const env = makeDtiEnv({ envId: 'MiniGrid-Empty-8x8-v0', viewSize: 5 });
    const obs = env.reset(0);
    expect(obs.shape).toEqual([5, 5, 3]);
    // Agent at (1,1) facing east: the view column x=2 runs straight ahead, y=4 is the agent's cell.
    const at = (x: number, y: number) => Array.from(obs.image.subarray((x * 5 + y) * 3, (x * 5 + y) * 3 + 3));
    expect(at(2, 4)).toEqual([1, 0, 0]);
    expect(at(0, 4)).toEqual([2, 5, 0]); // two cells to the left: beyond the y=0 wall row -> wall
    expect(at(1, 4)).toEqual([2, 5, 0]); // left neighbour: border wall at y=0
    expect(at(2, 0)).toEqual([1, 0, 0]); // four ahead: (5,1) is empty
    expect(() => makeDtiEnv({ envId: 'MiniGrid-Empty-8x8-v0', viewSize: 4 })).toThrow(/odd/);
  });

  it('fully observed shows the whole grid with the agent as (10, 0, dir)', () => {
    const env = makeDtiEnv({ envId: 'MiniGrid-Empty-5x5-v0', fullyObserved: true });
    const obs = env.reset(0);
    expect(obs.shape).toEqual([5, 5, 3]);
    const at = (x: number, y: number) => Array.from(obs.image.subarray((x * 5 + y) * 3, (x * 5 + y) * 3 + 3));
    expect(at(1, 1)).toEqual([10, 0, 0]);
    expect(at(3, 3)).toEqual([8, 1, 0]);
    expect(at(0, 2)).toEqual([2, 5, 0]);
    const next = env.step(1).obs;
    expect(Array.from(next.image.subarray((1 * 5 + 1) * 3, (1 * 5 + 1) * 3 + 3))).toEqual([10, 0, 1]);
  });

  it('wrappers pass snapshot, nActions and maxSteps through', () => {
    const env = makeDtiEnv({ envId: 'MiniGrid-Dynamic-Obstacles-8x8-v0', oneHotObs: true, maxSteps: 1000 });
    env.reset(0);
    const snap = env.snapshot();
    expect([env.nActions, env.maxSteps, snap.width, snap.agentPos]).toEqual([3, 1000, 8, [1, 1]]);
  });
});

describe('snapshot', () => {
  it('holds plain copies: grid encode, agent, carrying and the visible world cells', () => {
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0');
    env.reset(0);
    env.step(0);
    env.step(3); // pick up the ball at (1,2)
    const snap = env.snapshot();
    expect(snap.carrying).toEqual([6, 1, 0]);
    expect(snap.agentPos).toEqual([1, 3]);
    expect(snap.agentDir).toBe(3);
    expect(Array.from(snap.grid.subarray((1 * 7 + 2) * 3, (1 * 7 + 2) * 3 + 3))).toEqual([1, 0, 0]);
    // Facing north from (1,3): rows y 1..3 (up to the start room's top wall) of columns x 0..4 are seen;
    // the row behind the agent (y=4) and the border row beyond the wall (y=0) are not.
    const seen: string[] = [];
    snap.visible.forEach((v, k) => v && seen.push(`${Math.floor(k / 7)},${k % 7}`));
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4].flatMap((x) => [1, 2, 3].map((y) => `${x},${y}`)).sort());
    env.step(2);
    expect(snap.stepCount).toBe(2);
  });
});

describe('DT input features', () => {
  it('flattens [x][y][c] to column c*X*Y + x*Y + y', () => {
    const image = new Uint8Array(7 * 7 * 3);
    image[(2 * 7 + 6) * 3 + 1] = 9; // x=2, y=6, c=1
    const flat = flattenObsCHW({ image, shape: [7, 7, 3] });
    expect(flat).toBeInstanceOf(Float32Array);
    expect(flat.length).toBe(147);
    expect([...flat.keys()].filter((i) => flat[i] !== 0)).toEqual([49 + 2 * 7 + 6]);
    expect(() => flattenObsCHW({ image, shape: [7, 7, 20] })).toThrow(
      expect.objectContaining({ code: 'BAD_SHAPE' }),
    );
  });

  it('labels features as DTI does ("key, (2,6)" is 265)', () => {
    expect(SPARSE_CHANNEL_NAMES).toHaveLength(20);
    expect(SPARSE_CHANNEL_NAMES.slice(10, 13)).toEqual(['agent', 'red', 'green']);
    expect(stateFeatureLabel(265)).toBe('key, (2,6)');
    expect(stateFeatureLabel(263)).toBe('key, (2,4)');
    expect(stateFeatureLabel(312)).toBe('ball, (2,4)');
    expect(stateFeatureLabel(0)).toBe('unseen, (0,0)');
    expect(stateFeatureLabel(979)).toBe('locked, (6,6)');
    expect(stateFeatureLabel(60, 7, DENSE_CHANNEL_NAMES)).toBe('color, (1,4)');
    expect(stateFeatureLabel(26, 5, DENSE_CHANNEL_NAMES)).toBe('color, (0,1)');
    expect(() => stateFeatureLabel(980)).toThrow(/outside/);
  });

  it('names actions as IDX_TO_ACTION', () => {
    expect(IDX_TO_ACTION).toEqual(['left', 'right', 'forward', 'pickup', 'drop', 'toggle', 'done']);
  });
});
