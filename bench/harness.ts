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

/** One function's samples: wall time per call (ms) and the work it reported per call. */
interface Samples {
  msPerCall: number[];
  workPerCall: number[];
}

/**
 * Samples of the functions, interleaved (a b c, a b c, ...) so that load from other processes hits all
 * of them alike and the ratios between them stay meaningful on a shared machine. Each function returns
 * the work it did (e.g. timesteps), or nothing.
 */
function sample(fns: Array<() => number | void>, opts: MeasureOptions): Samples[] {
  const sampleMs = opts.sampleMs ?? 20;
  const reps = fns.map((fn) => calibrate(fn, sampleMs / 2));
  const out: Samples[] = fns.map(() => ({ msPerCall: [], workPerCall: [] }));
  for (let s = 0; s < (opts.samples ?? 7); s++) {
    fns.forEach((fn, f) => {
      let work = 0;
      const start = performance.now();
      for (let i = 0; i < reps[f]; i++) work += fn() ?? 0;
      out[f].msPerCall.push((performance.now() - start) / reps[f]);
      out[f].workPerCall.push(work / reps[f]);
    });
  }
  return out;
}

const median = (values: number[]): number => values.slice().sort((x, y) => x - y)[values.length >> 1];

/** Median wall time of one call of each function, in milliseconds (samples interleaved). */
export function compareMs(fns: Array<() => void>, opts: MeasureOptions = {}): number[] {
  return sample(fns, opts).map((s) => median(s.msPerCall));
}

/**
 * For functions that return the work they did per call: the median over samples of the work per
 * second (each sample's work divided by that same sample's time) and the median time per call.
 */
export function compareThroughput(
  fns: Array<() => number>,
  opts: MeasureOptions = {},
): { msPerCall: number; perSecond: number }[] {
  return sample(fns, opts).map((s) => ({
    msPerCall: median(s.msPerCall),
    perSecond: median(s.workPerCall.map((w, i) => (w / s.msPerCall[i]) * 1000)),
  }));
}

/** "met" or "MISSED target", for a measured value against a target. */
export const targetStatus = (met: boolean): string => (met ? 'met' : 'MISSED target');

/** Prints rows as an aligned text table (first column left-aligned, the others right-aligned). */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
