/**
 * `expectGradient` must fail a broken backward: a real gradient (gelu's derivative from
 * `activationBackward`) passes, and the same gradient with one NaN, one wrong entry, or one entry short
 * fails, whichever entries are checked.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../../src/tensor/ops.ts';
import { activationBackward } from '../../../src/train/grad/activation.ts';
import { expectGradient } from './support.ts';

const x = new Float64Array([-3, -1.2, -0.3, 0.2, 0.7, 1.5, 4]);
const f = () => x.reduce((s, v) => s + ACTIVATIONS.gelu(v), 0);
const real = () => activationBackward('gelu', Float32Array.from(x), new Float32Array(x.length).fill(1));

describe('expectGradient rejects broken gradients', () => {
  it('passes the real gelu gradient', () => {
    expectGradient(real(), f, x, 'gelu');
  });

  it('fails a NaN entry, also when it comes before a larger finite error', () => {
    const g = real();
    g[3] = NaN;
    expect(() => expectGradient(g, f, x, 'gelu')).toThrow(/at gelu\[3\]: actual NaN/);
    g[5] += 1; // a large finite error after the NaN must not replace it as the worst
    expect(() => expectGradient(g, f, x, 'gelu')).toThrow(/at gelu\[3\]: actual NaN/);
    expect(() => expectGradient(g, f, x, 'gelu', undefined, [5, 6])).toThrow(/at gelu\[5\]/);
  });

  it('fails an infinite entry and one entry off by 1e-2', () => {
    const inf = real();
    inf[0] = -Infinity;
    expect(() => expectGradient(inf, f, x, 'gelu')).toThrow(/at gelu\[0\]: actual -Infinity/);
    const off = real();
    off[6] += 1e-2;
    expect(() => expectGradient(off, f, x, 'gelu')).toThrow(/at gelu\[6\]/);
  });

  it('fails a gradient one entry short, even when only the entries it has are checked', () => {
    const short = real().slice(0, -1);
    expect(() => expectGradient(short, f, x, 'gelu', undefined, [0, 1, 2])).toThrow(
      /gelu: gradient length: expected 6 to be 7/,
    );
  });
});
