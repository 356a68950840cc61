/**
 * A probe set over a window dataset (`WindowDataset`, e.g. the app's session dataset of rollouts) with
 * the labels the windows themselves hold, so no episode replay is needed:
 * - `action+0`: the action taken at the window's last step, read from the next window of the same
 *   episode (its last action token); -1 at an episode's last window;
 * - `rtg`: the window's last RTG in quarter buckets (as the probe set's `rtg` label);
 * - `target_rtg`: the episode's target RTG (rollouts) or return (demonstrations).
 */
import { check } from '../../errors.ts';
import { sliceWindows } from '../../model/inputs.ts';
import type { WindowDataset } from '../scans/windowDataset.ts';
import { actionName } from '../dynamic/logitDirection.ts';
import { type ProbeLabel, type ProbeSet, RTG_BUCKETS, rtgBucket } from './probeSet.ts';

export function windowProbeSet(ds: WindowDataset): ProbeSet {
  const { episode, step, maxLen: T } = ds;
  const n = episode.length;
  check(n > 0, 'BAD_INPUT', 'the dataset has no windows');
  const { actions, rtgs } = ds.inputs;
  check(actions !== null, 'UNSUPPORTED', 'window datasets without action tokens have no action labels');
  // Windows are sorted by episode, then step.
  const taken = Int32Array.from({ length: n }, (_, i) =>
    i + 1 < n && episode[i + 1] === episode[i] && step[i + 1] === step[i] + 1
      ? actions[(i + 2) * (T - 1) - 1]
      : -1,
  );
  const targets = [...new Set(ds.targetRtg)].sort((a, b) => a - b);
  const labels: ProbeLabel[] = [
    {
      name: 'action+0',
      classes: Array.from({ length: ds.nActions }, (_, a) => actionName(a)),
      values: taken,
    },
    {
      name: 'rtg',
      classes: RTG_BUCKETS,
      values: Int32Array.from({ length: n }, (_, i) => rtgBucket(rtgs[(i + 1) * T - 1])),
    },
    {
      name: 'target_rtg',
      classes: targets.map((r) => String(Math.round(r * 1000) / 1000)),
      values: Int32Array.from(ds.targetRtg, (r) => targets.indexOf(r)),
    },
  ];
  return {
    n,
    windows: ds,
    episode,
    step,
    labels,
    inputs: (start, end) => sliceWindows(ds.inputs, start, end),
  };
}
