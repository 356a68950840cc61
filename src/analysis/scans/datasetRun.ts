/**
 * Runs a model over every window of a dataset in chunks (`forEachChunk`: progress, cancellation,
 * bounded memory), caching only the hook points an analysis reads, and tells which token positions
 * of each window are real (not left padding).
 */
import type { NameFilter } from '../../model/hooks.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import { windowsAt } from '../../model/inputs.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { type WindowDataset, checkDatasetFits } from './windowDataset.ts';

/**
 * Calls `fn(run, ids)` for chunks of the dataset's windows (batch row b = window ids[b]): every window
 * in order (each chunk's ids consecutive), or only the windows `subset` (ascending).
 */
export async function forEachDatasetChunk(
  model: DecisionTransformer,
  ds: WindowDataset,
  cache: NameFilter,
  control: JobControl | undefined,
  fn: (run: RunResult, ids: readonly number[]) => void,
  subset?: readonly number[],
): Promise<void> {
  checkDatasetFits(model, ds);
  const N = ds.inputs.states.shape[0];
  const windows = subset ?? Array.from({ length: N }, (_, i) => i);
  await forEachChunk(windows.length, control, (start, end) => {
    const ids = windows.slice(start, end);
    fn(model.run(windowsAt(ds.inputs, ids), { cache }), ids);
  });
}

/** Whether token position p of window w is real: its timestep index floor(p / 3) is not padding. */
export const isRealPosition = (ds: WindowDataset, w: number, p: number): boolean =>
  Math.floor(p / 3) >= ds.firstReal[w];
