/**
 * A probe set over a window dataset (`WindowDataset`, e.g. the app's session dataset of rollouts) with
 * the labels the windows themselves hold, so no episode replay is needed:
 * - `action+0`: the action taken at the window's last step, read from the next window of the same
 *   episode (its last action token); -1 at an episode's last window;
 * - `rtg`: the window's last RTG in quarter buckets (as the probe set's `rtg` label);
 * - `target_rtg`: the episode's target RTG (rollouts) or return (demonstrations);
 * - the env-fact labels (`FACT_LABELS`: instruction in Memory envs, key / ball / door in view or
 *   remembered, agent position and direction) when the episodes can be replayed (`windowFacts`: rollouts
 *   and collected episodes; a DTI trajectory file has no seeds and gets none of them).
 */
import { sliceWindows } from '../../model/inputs.ts';
import type { WindowDataset } from '../scans/windowDataset.ts';
import { actionName } from '../dynamic/logitDirection.ts';
import { DtlensError, check } from '../../errors.ts';
import { type EpisodeFacts, windowFacts } from './envFacts.ts';
import {
  FACT_LABELS,
  type ProbeLabel,
  type ProbeSet,
  RTG_BUCKETS,
  factLabel,
  rtgBucket,
} from './probeSet.ts';

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
  const facts = replayedFacts(ds);
  if (facts) {
    const memory = facts.every((f) => f.instruction !== null);
    const w = { episode, step, maxLen: T, envId: ds.env.envId };
    for (const name of FACT_LABELS)
      if (name !== 'instruction' || memory) labels.push(factLabel(name, facts, w)!);
  }
  return {
    n,
    windows: ds,
    episode,
    step,
    labels,
    inputs: (start, end) => sliceWindows(ds.inputs, start, end),
  };
}

/** The episodes' env facts, or null for datasets that cannot be replayed (no seeds). */
function replayedFacts(ds: WindowDataset): EpisodeFacts[] | null {
  try {
    return windowFacts(ds);
  } catch (e) {
    if (e instanceof DtlensError && e.code === 'UNSUPPORTED') return null;
    throw e;
  }
}
