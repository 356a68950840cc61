/**
 * A cli-progress bar (on stderr, only on a terminal) driven by a job's `onProgress`: what every long
 * batched CLI job (sweeps, scans) uses.
 */
import cliProgress from 'cli-progress';
import type { JobControl } from '../../analysis/jobs.ts';

/** Runs `job` with a progress bar labelled `label` counting `unit`; the bar stops when the job ends or fails. */
export async function withProgressBar<T>(
  label: string,
  job: (control: JobControl) => Promise<T>,
  unit = 'forwards',
): Promise<T> {
  if (!process.stderr.isTTY) return job({});
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {value}/{total} ${unit}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    return await job({
      onProgress: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
    });
  } finally {
    if (started) bar.stop();
  }
}
