/**
 * The one numeric comparison of the test-suite. Strict by construction: lengths must be equal, every
 * value must be finite unless non-finite values are expected (then the actual value must be the same
 * NaN / +Inf / -Inf at the same index), and the worst element is kept however the errors are ordered
 * (a NaN can never hide it) and reported with its index and both values.
 */
import { expect } from 'vitest';

/** How the error of one element (actual a, expected e) is measured. */
export type ErrorMetric =
  /** |a − e| */
  | 'abs'
  /** |a − e| / max(1, |e|): relative, absolute near zero (the parity suites' measure) */
  | 'mixed'
  /** |a − e| / max(scale, |e|) */
  | { scale: number }
  /** |a − e| / (abs + rel·|e|): within tolerance when <= 1 */
  | { abs: number; rel: number };

export interface CompareOptions {
  /** Default 'mixed'. */
  metric?: ErrorMetric;
  /** Expected values may be NaN or ±Inf; the actual value must then be identical. Default false. */
  nonFinite?: boolean;
  /** Names element i in messages (default `[i]`), e.g. to map back to the original index. */
  at?: (i: number) => string;
  /** Prefixes failure messages. */
  label?: string;
}

export interface Discrepancy {
  /** Worst error under the metric; Infinity where a value is non-finite and not identically expected. */
  worst: number;
  /** Worst |a − e| (Infinity as for `worst`). */
  maxAbs: number;
  /** Index of the worst element, -1 when every element is equal. */
  index: number;
  actual: number;
  expected: number;
}

function elementError(a: number, e: number, metric: ErrorMetric): number {
  const diff = Math.abs(a - e);
  if (diff === 0) return 0;
  if (metric === 'abs') return diff;
  if (metric === 'mixed') return diff / Math.max(1, Math.abs(e));
  if ('scale' in metric) return diff / Math.max(metric.scale, Math.abs(e));
  const allowed = metric.abs + metric.rel * Math.abs(e);
  return allowed > 0 ? diff / allowed : Infinity;
}

/** Error of `actual` against `expected` element by element; throws on a length mismatch. */
export function discrepancy(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: CompareOptions = {},
): Discrepancy {
  if (actual.length !== expected.length)
    expect.fail(
      `${opts.label ? `${opts.label}: ` : ''}length mismatch: actual has ${actual.length} values, expected ${expected.length}`,
    );
  const metric = opts.metric ?? 'mixed';
  const d: Discrepancy = { worst: 0, maxAbs: 0, index: -1, actual: NaN, expected: NaN };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let err: number;
    let abs: number;
    if (Number.isFinite(a) && Number.isFinite(e)) {
      err = elementError(a, e, metric);
      abs = Math.abs(a - e);
    } else {
      // identical non-finite values are a match only where they are expected
      err = abs = opts.nonFinite && !Number.isFinite(e) && Object.is(a, e) ? 0 : Infinity;
    }
    if (Number.isNaN(err)) err = Infinity; // e.g. a NaN tolerance: never a silent pass
    if (abs > d.maxAbs) d.maxAbs = abs;
    if (err > d.worst) {
      d.worst = err;
      d.index = i;
      d.actual = a;
      d.expected = e;
    }
  }
  return d;
}

/**
 * Asserts `discrepancy(actual, expected).worst <= tol` (tol 0 = equal values; an infinite error fails
 * whatever the tolerance) and returns the discrepancy; the failure names the worst element, its values
 * and `label`.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  opts: CompareOptions = {},
): Discrepancy {
  const d = discrepancy(actual, expected, opts);
  if (!(d.worst <= tol && d.worst < Infinity)) {
    const label = opts.label ? `${opts.label}: ` : '';
    const where = opts.at ? opts.at(d.index) : `[${d.index}]`;
    const why =
      Number.isFinite(d.expected) || opts.nonFinite ? '' : ' (non-finite expected value: pass nonFinite)';
    expect.fail(
      `${label}worst error ${d.worst} > ${tol} at ${where}: actual ${d.actual}, expected ${d.expected}${why}`,
    );
  }
  return d;
}

/**
 * Asserts that two arrays of equal length, all values finite, differ somewhere by more than `minDiff`
 * (e.g. that an edit changed an output): a NaN cannot pass for a difference.
 */
export function expectDiffer(
  actual: ArrayLike<number>,
  other: ArrayLike<number>,
  minDiff: number,
  label = 'arrays',
): void {
  const d = discrepancy(actual, other, { metric: 'abs', label });
  if (d.maxAbs === Infinity)
    expect.fail(`${label}: non-finite value at [${d.index}]: ${d.actual} vs ${d.expected}`);
  if (!(d.maxAbs > minDiff)) expect.fail(`${label}: largest difference ${d.maxAbs} is not above ${minDiff}`);
}

/** Collects the worst error per (group, item) and prints a table at the end of a parity suite. */
export class ErrorTable {
  private readonly rows = new Map<string, { worst: number; what: string; count: number }>();

  record(group: string, what: string, d: Discrepancy): void {
    const row = this.rows.get(group) ?? { worst: 0, what: '', count: 0 };
    row.count++;
    if (d.worst >= row.worst) {
      row.worst = d.worst;
      row.what = what;
    }
    this.rows.set(group, row);
  }

  format(title: string): string {
    const lines = [
      `${title}`,
      `${'group'.padEnd(44)} ${'compared'.padStart(8)}  ${'worst err'.padStart(10)}  where`,
    ];
    for (const [group, r] of this.rows) {
      lines.push(
        `${group.padEnd(44)} ${String(r.count).padStart(8)}  ${r.worst.toExponential(2).padStart(10)}  ${r.what}`,
      );
    }
    return lines.join('\n');
  }
}
