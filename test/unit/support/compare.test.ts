/** The shared strict comparison: hand-computed errors, and every way a wrong result could slip through. */
import { describe, expect, it } from 'vitest';
import { discrepancy, expectClose } from '../../support/compare.ts';

describe('discrepancy', () => {
  it('measures each metric by hand and reports the worst element', () => {
    const actual = [1, 2.5, -10.5, 0];
    const expected = [1, 2, -10, 0.25];
    expect(discrepancy(actual, expected, { metric: 'abs' })).toEqual({
      worst: 0.5,
      maxAbs: 0.5,
      index: 1,
      actual: 2.5,
      expected: 2,
    });
    // mixed: |a - e| / max(1, |e|) = 0, 0.25, 0.05, 0.25 (the first of equal worsts is kept)
    expect(discrepancy(actual, expected)).toMatchObject({ worst: 0.25, index: 1 });
    // scale 20: 0, 0.025, 0.025, 0.0125
    expect(discrepancy(actual, expected, { metric: { scale: 20 } })).toMatchObject({
      worst: 0.025,
      index: 1,
    });
    // abs 0.1 + rel 0.1·|e|: 0, 0.5 / 0.3, 0.5 / 1.1, 0.25 / 0.125 = 2
    expect(discrepancy(actual, expected, { metric: { abs: 0.1, rel: 0.1 } })).toMatchObject({
      worst: 2,
      index: 3,
    });
    expect(discrepancy([3, 4], [3, 4])).toEqual({
      worst: 0,
      maxAbs: 0,
      index: -1,
      actual: NaN,
      expected: NaN,
    });
  });

  it('makes a zero tolerance budget exact: any difference is an infinite error', () => {
    expect(discrepancy([1, 2], [1, 2], { metric: { abs: 0, rel: 0 } }).worst).toBe(0);
    expect(discrepancy([1, 2 + 2 ** -20], [1, 2], { metric: { abs: 0, rel: 0 } }).worst).toBe(Infinity);
  });
});

describe('expectClose', () => {
  const expected = Float64Array.from([0.5, -1, 2, 3]);

  it('passes within tolerance and returns the discrepancy', () => {
    const d = expectClose([0.5, -1, 2.000001, 3], expected, 1e-6);
    expect(d.index).toBe(2);
    expect(d.worst).toBeCloseTo(0.0000005, 12);
    expect(expectClose(expected, expected, 0).worst).toBe(0);
  });

  it('fails one wrong element, naming its index and both values', () => {
    expect(() => expectClose([0.5, -1, 2, 3.1], expected, 1e-5, { label: 'out' })).toThrow(
      /^out: worst error 0\.0333.* > 0\.00001 at \[3\]: actual 3\.1, expected 3$/,
    );
    expect(() => expectClose([0.5, -1, 2, 3.1], expected, 1e-5, { at: (i) => `row ${i}` })).toThrow(
      /at row 3/,
    );
  });

  it('fails NaN wherever it is, and a NaN is not hidden by later finite errors', () => {
    for (let i = 0; i < expected.length; i++) {
      const a = Float64Array.from(expected);
      a[i] = NaN;
      expect(() => expectClose(a, expected, 1e-5)).toThrow(new RegExp(`at \\[${i}\\]: actual NaN`));
    }
    expect(() => expectClose([NaN, NaN, NaN, NaN], expected, 1e-5)).toThrow(/at \[0\]: actual NaN/);
    expect(() => expectClose([NaN, -1, 2, 30], expected, 100)).toThrow(/at \[0\]: actual NaN/);
    expect(() => expectClose([NaN, -1, 2, 3], expected, Infinity)).toThrow(/actual NaN/);
  });

  it('fails Inf and -Inf in the actual values', () => {
    expect(() => expectClose([0.5, Infinity, 2, 3], expected, 1e-5)).toThrow(/at \[1\]: actual Infinity/);
    expect(() => expectClose([0.5, -1, -Infinity, 3], expected, 1e3)).toThrow(/at \[2\]: actual -Infinity/);
  });

  it('fails non-finite expected values unless they are expected, then requires the same one', () => {
    const e = [1, NaN, Infinity, -Infinity];
    expect(() => expectClose(e, e, 1e-5)).toThrow(/at \[1\]: actual NaN, expected NaN \(non-finite/);
    expect(expectClose(e, e, 0, { nonFinite: true }).worst).toBe(0);
    expect(() => expectClose([1, 0, Infinity, -Infinity], e, 1e-5, { nonFinite: true })).toThrow(/at \[1\]/);
    expect(() => expectClose([1, NaN, -Infinity, -Infinity], e, 1e-5, { nonFinite: true })).toThrow(
      /at \[2\]: actual -Infinity, expected Infinity/,
    );
    expect(() => expectClose([1, NaN, Infinity, NaN], e, 1e-5, { nonFinite: true })).toThrow(/at \[3\]/);
    expect(() =>
      expectClose([1, NaN, Infinity, 5], [1, NaN, Infinity, 5.5], 0.05, { nonFinite: true }),
    ).toThrow(/at \[3\]: actual 5, expected 5\.5/);
  });

  it('fails arrays of different lengths, shorter or longer', () => {
    expect(() => expectClose([0.5, -1, 2], expected, 1)).toThrow(
      /length mismatch: actual has 3 values, expected 4/,
    );
    expect(() => expectClose([0.5, -1, 2, 3, 4], expected, 1, { label: 'x' })).toThrow(
      /^x: length mismatch: actual has 5 values, expected 4$/,
    );
    expect(() => expectClose([], expected, Infinity)).toThrow(/length mismatch/);
  });
});
