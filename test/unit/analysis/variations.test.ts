/**
 * Token variations on hand-made windows (each builder changes exactly what it says and nothing else),
 * typed errors for bad edits, and the MemoryS7 pair: the instruction key/ball edit of DTI's State UI on
 * the clean window equals the env's other layout (a real rollout of the other seed), and both equal
 * golden pairA's corrupted window where ../shared is present.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corruptWindow, envRolloutWindow, sameWindow } from '../../../src/analysis/causal/variations.ts';
import { OBJECT_TO_IDX } from '../../../src/env/core/constants.ts';
import { readSafetensors } from '../../../src/io/safetensors.ts';
import type { DTInputs } from '../../../src/model/decisionTransformer.ts';
import { inputsFromTensors } from '../../../src/model/inputs.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { describeWithShared, sharedPath } from '../../support/shared.ts';

const limits = { nActions: 7, maxTimestep: 1000 };

/** A 3-step window of 2x2 one-hot observations: every cell empty (object 1), grey (16), open (17). */
function oneHotWindow(): DTInputs {
  const T = 3;
  const states = new Float32Array(T * 2 * 2 * 20);
  for (let cell = 0; cell < T * 4; cell++) {
    states[cell * 20 + 1] = 1;
    states[cell * 20 + 16] = 1;
    states[cell * 20 + 17] = 1;
  }
  return {
    states: new Tensor(states, [1, T, 2, 2, 20]),
    actions: Int32Array.of(2, 0),
    rtgs: Float32Array.of(0.9, 0.9, 0.9),
    timesteps: Int32Array.of(3, 4, 5),
  };
}

/** Indices where two arrays differ. */
const diff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).flatMap((v, i) => (v === b[i] ? [] : [i]));

describe('token variations', () => {
  it('state edit (one-hot): clears the object channels of one cell and sets the object; colour/state on request', () => {
    const clean = oneHotWindow();
    const { corrupted, identical, changes } = corruptWindow(
      clean,
      [{ kind: 'state', edits: [{ step: 1, x: 1, y: 0, object: 'ball' }] }],
      limits,
    );
    const cell = ((1 * 2 + 1) * 2 + 0) * 20; // step 1, x 1, y 0
    expect(diff(corrupted.states.data, clean.states.data)).toEqual([cell + 1, cell + 6]);
    expect(corrupted.states.data[cell + OBJECT_TO_IDX.ball]).toBe(1);
    expect(identical).toBe(false);
    expect(changes).toEqual(['S2 (1,0): empty -> ball']);
    expect(sameWindow(clean, oneHotWindow())).toBe(true); // the clean window is untouched
    const withColour = corruptWindow(
      clean,
      [{ kind: 'state', edits: [{ step: -1, x: 0, y: 1, object: 'door', color: 'red', state: 'locked' }] }],
      limits,
    ).corrupted;
    const c2 = ((2 * 2 + 0) * 2 + 1) * 20;
    expect(diff(withColour.states.data, clean.states.data)).toEqual([
      c2 + 1,
      c2 + 4,
      c2 + 11,
      c2 + 16,
      c2 + 17,
      c2 + 19,
    ]);
  });

  it('state edit (dense 3 channels) writes the indices', () => {
    const clean: DTInputs = {
      ...oneHotWindow(),
      states: new Tensor(new Float32Array(3 * 4 * 3).fill(1), [1, 3, 2, 2, 3]),
    };
    const { corrupted } = corruptWindow(
      clean,
      [{ kind: 'state', edits: [{ step: 0, x: 0, y: 0, object: 8, color: 2 }] }],
      limits,
    );
    expect(diff(corrupted.states.data, clean.states.data)).toEqual([0, 1]);
    expect([corrupted.states.data[0], corrupted.states.data[1]]).toEqual([8, 2]);
  });

  it('RTG, action and timestep variations change only their tokens', () => {
    const clean = oneHotWindow();
    const all = corruptWindow(clean, [{ kind: 'all-rtg', value: 0 }], limits).corrupted;
    expect([...all.rtgs]).toEqual([0, 0, 0]);
    expect(sameWindow({ ...all, rtgs: clean.rtgs }, clean)).toBe(true);
    const one = corruptWindow(clean, [{ kind: 'rtg', step: 2, value: 0.25 }], limits).corrupted;
    expect([...one.rtgs]).toEqual([Math.fround(0.9), Math.fround(0.9), 0.25]);
    const act = corruptWindow(clean, [{ kind: 'action', step: 0, action: 1 }], limits);
    expect([...act.corrupted.actions!]).toEqual([1, 0]);
    expect(act.changes).toEqual(['A1: 2 -> 1']);
    const shift = corruptWindow(clean, [{ kind: 'timestep', shift: -3 }], limits).corrupted;
    expect([...shift.timesteps]).toEqual([0, 1, 2]);
    const set = corruptWindow(clean, [{ kind: 'timestep', step: 1, value: 9 }], limits).corrupted;
    expect([...set.timesteps]).toEqual([3, 9, 5]);
    const composed = corruptWindow(
      clean,
      [
        { kind: 'all-rtg', value: 0.5 },
        { kind: 'action', step: 1, action: 6 },
      ],
      limits,
    ).corrupted;
    expect([...composed.rtgs, ...composed.actions!]).toEqual([0.5, 0.5, 0.5, 2, 6]);
  });

  it('flags a variation that changes nothing', () => {
    const r = corruptWindow(oneHotWindow(), [{ kind: 'action', step: 0, action: 2 }], limits);
    expect(r.identical).toBe(true);
  });

  it('rejects bad variations with clear typed errors', () => {
    const w = oneHotWindow();
    const bad = (v: Parameters<typeof corruptWindow>[1][number]) => () => corruptWindow(w, [v], limits);
    expect(bad({ kind: 'state', edits: [{ step: 0, x: 2, y: 0, object: 'key' }] })).toThrow(
      /cell \(2,0\) is outside the 2x2/,
    );
    expect(bad({ kind: 'state', edits: [{ step: 3, x: 0, y: 0, object: 'key' }] })).toThrow(
      /step 3 is outside 0..2/,
    );
    expect(bad({ kind: 'state', edits: [{ step: 0, x: 0, y: 0, object: 'dragon' }] })).toThrow(
      /unknown object 'dragon'/,
    );
    expect(bad({ kind: 'state', edits: [] })).toThrow(/at least one edit/);
    expect(bad({ kind: 'action', step: 0, action: 7 })).toThrow(/action 7 is outside 0..6/);
    expect(bad({ kind: 'action', step: 2, action: 1 })).toThrow(/action step 2 is outside 0..1/);
    expect(bad({ kind: 'timestep', shift: -4 })).toThrow(/timestep -1 is outside/);
    expect(bad({ kind: 'timestep', step: 0, value: 1001 })).toThrow(
      /1001 is outside the time embedding's range 0..1000/,
    );
    expect(bad({ kind: 'all-rtg', value: NaN })).toThrow(/finite/);
    expect(() => corruptWindow(w, [], limits)).toThrow(/no variation/);
  });
});

describe('MemoryS7 instruction key vs ball', () => {
  const base = {
    envId: 'MiniGrid-MemoryS7FixedStart-v0',
    oneHotObs: true,
    actions: [2, 2, 2, 2],
    maxLen: 9,
    initialRtg: 0.9,
  };
  const key = envRolloutWindow({ ...base, seed: 1 });
  const ball = envRolloutWindow({ ...base, seed: 0 });

  it("DTI's State edit of the instruction object equals the env's other layout", () => {
    // Seed 1: instruction key (seen at view cell (2,6) in the first real observation, window step 4).
    expect(key.states.data[((4 * 7 + 2) * 7 + 6) * 20 + OBJECT_TO_IDX.key]).toBe(1);
    const edited = corruptWindow(
      key,
      [{ kind: 'state', edits: [{ step: 4, x: 2, y: 6, object: 'ball' }] }],
      limits,
    );
    expect(sameWindow(edited.corrupted, ball)).toBe(true);
    expect(sameWindow(key, ball)).toBe(false);
  });

  it('rejects a rollout that ends before its last action', () => {
    expect(() => envRolloutWindow({ ...base, seed: 1, actions: [2, 2, 2, 2, 0, 2, 2, 2] })).toThrow(
      /ended after/,
    );
  });

  describeWithShared('golden pairA', () => {
    it('the rollout pair is golden pairA (clean seed 1, corrupted seed 0)', () => {
      const g = readSafetensors(
        new Uint8Array(
          readFileSync(sharedPath('golden', 'analysis', 'MemoryGatedMLP', 'pairA_raw.safetensors')),
        ),
      ).tensors;
      expect(sameWindow(key, inputsFromTensors(g, 'clean.'))).toBe(true);
      expect(sameWindow(ball, inputsFromTensors(g, 'corrupted.'))).toBe(true);
    });
  });
});
