/**
 * Runs a model over every window of a dataset in chunks (`forEachChunk`: progress, cancellation,
 * bounded memory), caching only the hook points an analysis reads, and tells which token positions
 * of each window are real (not left padding).
 */
import type { NameFilter } from '../../model/hooks.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import { sliceWindows } from '../../model/inputs.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { type WindowDataset, checkDatasetFits } from './windowDataset.ts';

/** Calls `fn(run, start)` for consecutive chunks of windows (batch row b = window start + b). */
export async function forEachDatasetChunk(
  model: DecisionTransformer,
  ds: WindowDataset,
  cache: NameFilter,
  control: JobControl | undefined,
  fn: (run: RunResult, start: number) => void,
): Promise<void> {
  checkDatasetFits(model, ds);
  const N = ds.inputs.states.shape[0];
  await forEachChunk(N, control, (start, end) => {
    fn(model.run(sliceWindows(ds.inputs, start, end), { cache }), start);
  });
}

/** Whether token position p of window w is real: its timestep index floor(p / 3) is not padding. */
export const isRealPosition = (ds: WindowDataset, w: number, p: number): boolean =>
  Math.floor(p / 3) >= ds.firstReal[w];
