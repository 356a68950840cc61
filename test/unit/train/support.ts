/** Helpers shared by the gradient tests: central finite differences in float64. */
import { expect } from 'vitest';
import { expectClose } from '../../support/compare.ts';

/** Central difference of f at x[i] (x is mutated and restored). */
export function centralDifference(f: () => number, x: Float64Array, i: number, eps = 1e-5): number {
  const old = x[i];
  x[i] = old + eps;
  const up = f();
  x[i] = old - eps;
  const down = f();
  x[i] = old;
  return (up - down) / (2 * eps);
}

/**
 * Entries `indices` (default all) of an analytic float32 gradient against central differences of a
 * float64 function of x, within abs + rel·|fd| each, through the shared strict comparison: the gradient
 * must have x's length and be finite.
 */
export function expectGradient(
  analytic: ArrayLike<number>,
  f: () => number,
  x: Float64Array,
  label: string,
  tol = { abs: 2e-4, rel: 2e-3 },
  indices: number[] = Array.from({ length: x.length }, (_, i) => i),
): void {
  expect(analytic.length, `${label}: gradient length`).toBe(x.length);
  const fd = indices.map((i) => centralDifference(f, x, i));
  expectClose(
    indices.map((i) => analytic[i]),
    fd,
    1,
    { metric: tol, label: `${label} (analytic vs finite difference)`, at: (j) => `${label}[${indices[j]}]` },
  );
}

/** Uniform values in [-scale, scale] from a seeded generator. */
export function randomArray(rand: () => number, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}
