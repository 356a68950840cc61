/**
 * Window-dataset labels against the episodes they come from (an expert collection on MemoryS7):
 * `action+0` is the action the episode took at each window's last step (-1 at an episode's last
 * step, whose action no later window holds), `rtg` the bucket of the episode's return-to-go there,
 * `target_rtg` the episode's return.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { windowProbeSet } from '../../../src/analysis/features/windowLabels.ts';
import { rtgBucket } from '../../../src/analysis/features/probeSet.ts';
import { windowsFromEpisodes } from '../../../src/analysis/scans/windowDataset.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { collectDemonstrations } from '../../../src/train/collect.ts';
import { episodeReturn } from '../../../src/train/dataset.ts';
import { returnsToGo } from '../../../src/train/sampler.ts';

const ckpt = loadCheckpoint(
  new Uint8Array(readFileSync('models/MiniGrid-MemoryS7FixedStart-v0.safetensors')),
);

describe('windowProbeSet', () => {
  it('labels every window with the action taken, its RTG bucket and the episode target', () => {
    const demos = collectDemonstrations({
      env: ckpt.env,
      episodes: 4,
      policy: 'expert',
      epsilon: 0.3,
      wrongFraction: 0.5,
      randomFraction: 0,
      seed: 2,
    });
    const ds = windowsFromEpisodes(demos, 5);
    const set = windowProbeSet(ds);
    const label = (name: string) => set.labels.find((l) => l.name === name)!;
    expect(set.n).toBe(demos.episodes.reduce((n, e) => n + e.actions.length, 0));
    for (let i = 0; i < set.n; i++) {
      const e = demos.episodes[set.episode[i]];
      const t = set.step[i];
      expect(label('action+0').values[i]).toBe(t === e.actions.length - 1 ? -1 : e.actions[t]);
      expect(label('rtg').values[i]).toBe(rtgBucket(returnsToGo(e.rewards)[t]));
      const target = label('target_rtg');
      expect(Number(target.classes[target.values[i]])).toBeCloseTo(episodeReturn(e), 3);
    }
    expect(set.inputs(2, 4).states.shape[0]).toBe(2);
  });
});
