/**
 * Long analysis work (sweeps, scans, dataset jobs) is split into chunks of batch rows. Between chunks it
 * reports progress and honours an `AbortSignal`, so the worker can answer cancel messages and the CLI
 * can draw a progress bar. Every batched analysis takes a `JobControl` and runs through `forEachChunk`.
 */
import { DtlensError, check } from '../errors.ts';

/** Progress and cancellation of one job. */
export interface JobControl {
  /** Called after each chunk with the rows done so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Checked before each chunk; an aborted signal stops the job with a `CANCELLED` error. */
  signal?: AbortSignal;
  /** Rows per chunk (bounds memory); default 256. */
  chunkRows?: number;
  /**
   * Awaited after each chunk: the app's worker yields to its message loop here, so cancel messages
   * and play commands are handled while a job runs.
   */
  yieldToEvents?: () => Promise<void>;
}

export const DEFAULT_CHUNK_ROWS = 256;

/** Throws `CANCELLED` if the job's signal has been aborted. */
export function throwIfCancelled(control: JobControl | undefined): void {
  if (control?.signal?.aborted) throw new DtlensError('CANCELLED', 'cancelled');
}

/**
 * Calls `fn(start, end)` for consecutive row ranges covering 0..total, each at most `chunkRows` long,
 * checking cancellation before and reporting progress after each.
 */
export async function forEachChunk(
  total: number,
  control: JobControl | undefined,
  fn: (start: number, end: number) => void | Promise<void>,
): Promise<void> {
  const size = control?.chunkRows ?? DEFAULT_CHUNK_ROWS;
  check(
    Number.isInteger(size) && size > 0,
    'BAD_INPUT',
    `chunk size must be a positive integer, got ${size}`,
  );
  for (let start = 0; start < total; start += size) {
    throwIfCancelled(control);
    const end = Math.min(total, start + size);
    await fn(start, end);
    control?.onProgress?.(end, total);
    await control?.yieldToEvents?.();
  }
}

/**
 * Drives a stepwise computation (a generator yielding after each unit of work, e.g. one batched step of
 * `episodeSteps`) to its return value, checking cancellation before and yielding to events after each
 * step, so a long synchronous loop neither blocks the app's worker nor ignores cancel.
 */
export async function runStepwise<T>(
  steps: Generator<unknown, T, void>,
  control: JobControl | undefined,
): Promise<T> {
  for (;;) {
    throwIfCancelled(control);
    const next = steps.next();
    if (next.done) return next.value;
    await control?.yieldToEvents?.();
  }
}
