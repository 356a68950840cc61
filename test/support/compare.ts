/**
 * Numeric comparison for parity tests: the error of `actual` against `expected` as
 * |a - e| / max(1, |e|) (relative, absolute near zero), with the worst element's location.
 */
export interface Discrepancy {
  /** max over elements of |a - e| / max(1, |e|) */
  worst: number;
  maxAbs: number;
  index: number;
}

export function discrepancy(actual: ArrayLike<number>, expected: ArrayLike<number>): Discrepancy {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  }
  let worst = 0;
  let maxAbs = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const err = Number.isNaN(diff) ? Infinity : diff / Math.max(1, Math.abs(expected[i]));
    if (err > worst) {
      worst = err;
      index = i;
    }
    if (diff > maxAbs) maxAbs = diff;
  }
  return { worst, maxAbs, index };
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
