/** Helpers shared by the gradient tests: central finite differences in float64. */
import { expect } from 'vitest';

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

/** Every entry of an analytic float32 gradient against central differences of a float64 function. */
export function expectGradient(
  analytic: ArrayLike<number>,
  f: () => number,
  x: Float64Array,
  label: string,
  tol = { abs: 2e-4, rel: 2e-3 },
  indices: number[] = Array.from({ length: x.length }, (_, i) => i),
): void {
  for (const i of indices) {
    const fd = centralDifference(f, x, i);
    const err = Math.abs(analytic[i] - fd);
    if (err > tol.abs + tol.rel * Math.abs(fd))
      expect.fail(`${label}[${i}]: analytic ${analytic[i]} vs finite difference ${fd}`);
  }
}

/** Uniform values in [-scale, scale] from a seeded generator. */
export function randomArray(rand: () => number, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}
