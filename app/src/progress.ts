/**
 * A job's progress as the panel card prints it. Jobs report fractional work done (e.g. 5.56 of 100
 * rollouts when an episode is part done): a known total reads as a whole percentage, an unknown total
 * (0) as the rounded count done.
 */
export function progressText(done: number, total: number): string {
  if (total > 0) return `${Math.min(100, Math.max(0, Math.floor((100 * done) / total)))}%`;
  return `${Math.round(done)} done`;
}
