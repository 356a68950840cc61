/** 95% intervals for the closed-loop statistics (Wilson for rates, normal for means) and a seeded stream. */

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

const Z95 = 1.959963984540054;

/** Wilson score interval of `k` successes in `n` trials (n = 0: [0, 1] around NaN). */
export function wilson(k: number, n: number, z = Z95): Interval {
  if (n === 0) return { estimate: NaN, low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Mean with a normal 95% interval (sample standard deviation; one value: a zero-width interval). */
export function meanInterval(values: readonly number[], z = Z95): Interval {
  const n = values.length;
  if (n === 0) return { estimate: NaN, low: NaN, high: NaN };
  const m = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1)) : 0;
  const half = (z * sd) / Math.sqrt(n);
  return { estimate: m, low: m - half, high: m + half };
}

/** mulberry32: a seeded stream of uniforms in [0, 1) (deterministic, isomorphic). */
export function seededUniforms(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), t | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
