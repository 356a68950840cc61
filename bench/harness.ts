/** Timing and table helpers shared by the benchmark modules (`bench/*.bench.ts`). */

export interface MeasureOptions {
  /** Target time per sample; each call is repeated until a sample lasts about this long (default 20 ms). */
  sampleMs?: number;
  /** Number of samples whose median is reported (default 7). */
  samples?: number;
}

/** Repetitions of `fn` that take at least `ms` (after its first call, which warms it up). */
function calibrate(fn: () => void, ms: number): number {
  let reps = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - start >= ms || reps >= 1 << 20) return reps;
    reps *= 2;
  }
}

/**
 * Median wall time of one call of each function, in milliseconds. Samples of the functions are
 * interleaved (a b c, a b c, ...) so that load from other processes hits all of them alike and the
 * ratios between them stay meaningful on a shared machine.
 */
export function compareMs(fns: Array<() => void>, opts: MeasureOptions = {}): number[] {
  const sampleMs = opts.sampleMs ?? 20;
  const reps = fns.map((fn) => calibrate(fn, sampleMs / 2));
  const times: number[][] = fns.map(() => []);
  for (let s = 0; s < (opts.samples ?? 7); s++) {
    fns.forEach((fn, f) => {
      const start = performance.now();
      for (let i = 0; i < reps[f]; i++) fn();
      times[f].push((performance.now() - start) / reps[f]);
    });
  }
  return times.map((t) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]);
}

/** Prints rows as an aligned text table (first column left-aligned, the others right-aligned). */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
