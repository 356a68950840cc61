import { describe, expect, it } from 'vitest';
import {
  appendStep,
  frameTokenLabels,
  initialHistory,
  returnsToGo,
  stepsTaken,
  windowInputs,
} from '../../../src/session/history.ts';
import { entropy, softmax } from '../../../src/session/playSession.ts';

/** A 1x1x2 "observation" whose values identify the frame. */
const frame = (v: number) => Uint8Array.from([v, v + 100]);
const SHAPE = [1, 1, 2] as const;

describe('session history (DTI app bookkeeping)', () => {
  it('left-pads the first window: zero obs, pad actions, initial RTG, timestep 0', () => {
    const h = initialHistory(frame(7), SHAPE, 3, 4);
    const w = windowInputs(h, 0.9);
    expect(w.states.shape).toEqual([1, 3, 1, 1, 2]);
    expect(Array.from(w.states.data)).toEqual([0, 0, 0, 0, 7, 107]);
    expect(Array.from(w.actions!)).toEqual([4, 4]);
    expect(Array.from(w.rtgs)).toEqual([0.9, 0.9, 0.9].map(Math.fround));
    expect(Array.from(w.timesteps)).toEqual([0, 0, 0]);
    expect(stepsTaken(h)).toBe(0);
  });

  it('slides the window over the newest maxLen timesteps and the T-1 actions between them', () => {
    let h = initialHistory(frame(1), SHAPE, 3, 4);
    h = appendStep(h, 2, frame(2), 0);
    h = appendStep(h, 0, frame(3), 0.5);
    h = appendStep(h, 1, frame(4), 0.25);
    const w = windowInputs(h, 1);
    expect(Array.from(w.states.data)).toEqual([2, 102, 3, 103, 4, 104]);
    expect(Array.from(w.actions!)).toEqual([0, 1]);
    expect(Array.from(w.timesteps)).toEqual([1, 2, 3]);
    expect(Array.from(w.rtgs)).toEqual([1, 0.5, 0.25]);
    expect(stepsTaken(h)).toBe(3);
  });

  it('re-targets every RTG from the initial value minus the cumulative reward', () => {
    const rewards = [0, 0, 0.2, 0, 0.5];
    returnsToGo({ rewards }, 1).forEach((r, i) => expect(r).toBeCloseTo([1, 1, 0.8, 0.8, 0.3][i], 12));
    expect(returnsToGo({ rewards }, 0)[4]).toBeCloseTo(-0.7, 12);
  });

  it('gives no action tokens when the window has one timestep (n_ctx = 2)', () => {
    let h = initialHistory(frame(1), SHAPE, 1, 3);
    expect(windowInputs(h, 0.9).actions).toBeNull();
    h = appendStep(h, 2, frame(2), 0);
    h = appendStep(h, 1, frame(3), 0);
    const w = windowInputs(h, 0.9);
    expect(w.actions).toBeNull();
    expect(Array.from(w.states.data)).toEqual([3, 103]);
    expect(Array.from(w.timesteps)).toEqual([2]);
  });

  it('legacy layout: one timestep whose action token is the previous action (0 before the first step)', () => {
    let h = initialHistory(frame(1), SHAPE, 1, 3, 'legacy');
    let w = windowInputs(h, 0.5);
    expect(Array.from(w.actions!)).toEqual([0]);
    expect(Array.from(w.states.data)).toEqual([1, 101]);
    h = appendStep(h, 2, frame(2), 0.25);
    h = appendStep(h, 1, frame(3), 0);
    w = windowInputs(h, 0.5);
    expect(Array.from(w.actions!)).toEqual([1]);
    expect(Array.from(w.states.data)).toEqual([3, 103]);
    expect(Array.from(w.rtgs)).toEqual([0.25]);
    expect(Array.from(w.timesteps)).toEqual([2]);
    expect(() => initialHistory(frame(1), SHAPE, 3, 3, 'legacy')).toThrow(/one timestep/);
  });

  it('labels the newest frame S{maxLen}, counting down, and drops frames outside the window', () => {
    let h = initialHistory(frame(1), SHAPE, 3, 4);
    expect(frameTokenLabels(h)).toEqual(['S3']);
    h = appendStep(h, 2, frame(2), 0);
    expect(frameTokenLabels(h)).toEqual(['S2', 'S3']);
    h = appendStep(h, 2, frame(3), 0);
    h = appendStep(h, 2, frame(4), 0);
    expect(frameTokenLabels(h)).toEqual([null, 'S1', 'S2', 'S3']);
  });

  it('rejects actions outside the action space and observations of the wrong size', () => {
    const h = initialHistory(frame(1), SHAPE, 3, 4);
    expect(() => appendStep(h, 4, frame(2), 0)).toThrow(/outside 0..3/);
    expect(() => appendStep(h, -1, frame(2), 0)).toThrow(/outside/);
    expect(() => appendStep(h, 0, new Uint8Array(3), 0)).toThrow(/3 values/);
    expect(() => initialHistory(new Uint8Array(5), SHAPE, 3, 4)).toThrow(/expected 1x1x2/);
  });
});

describe('action distribution read-out', () => {
  it('softmax matches hand-computed values and entropy uses the natural log', () => {
    const p = softmax([Math.log(1), Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
    expect(entropy([0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
    expect(entropy([1, 0, 0])).toBe(0);
    expect(Array.from(softmax([1000, 1000]))).toEqual([0.5, 0.5]);
  });
});
