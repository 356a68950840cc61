/**
 * Window-dataset labels against the episodes they come from (an expert collection on MemoryS7):
 * `action+0` is the action the episode took at each window's last step (-1 at an episode's last
 * step, whose action no later window holds), `rtg` the bucket of the episode's return-to-go there,
 * `target_rtg` the episode's return; the env-fact labels equal the probe set's of the same episodes
 * (`buildProbeSet`, replayed from the collection). On the model's own rollouts (two RTGs), the
 * instruction label is the start-room object of each episode's seed, read from a fresh env.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { windowProbeSet } from '../../../src/analysis/features/windowLabels.ts';
import { FACT_LABELS, buildProbeSet, rtgBucket } from '../../../src/analysis/features/probeSet.ts';
import { windowsFromEpisodes, windowsFromRollouts } from '../../../src/analysis/scans/windowDataset.ts';
import { MemoryEnv } from '../../../src/env/envs/memory.ts';
import { makeDtiEnv } from '../../../src/env/index.ts';
import { createModel } from '../../../src/model/load.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
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
    // The env-fact labels are the probe set's of the same episodes (replayed from the collection).
    const probes = buildProbeSet(demos, { maxLen: 5 });
    expect(probes.n).toBe(set.n);
    for (const name of FACT_LABELS) {
      const want = probes.labels.find((l) => l.name === name)!;
      expect(label(name).classes, name).toEqual(want.classes);
      expect([...label(name).values], name).toEqual([...want.values]);
    }
  });

  it('labels rollout windows with the instruction of each episode seed, at both RTGs', async () => {
    const model = createModel(ckpt, { gemm: new TsGemm() });
    const ds = await windowsFromRollouts(model, { env: ckpt.env, seed: 5, episodes: 3, rtgs: [0, 0.9] });
    const set = windowProbeSet(ds);
    const instruction = set.labels.find((l) => l.name === 'instruction')!;
    const env = makeDtiEnv(ckpt.env);
    for (let i = 0; i < set.n; i++) {
      env.reset(5 + (set.episode[i] % 3));
      const start = (env.unwrapped as MemoryEnv).startObj;
      expect(instruction.classes[instruction.values[i]]).toBe(start);
    }
    expect(set.labels.map((l) => l.name)).toEqual(['action+0', 'rtg', 'target_rtg', ...FACT_LABELS]);
    // A dataset whose recorded observations its seeds do not reproduce is refused.
    const tampered = { ...ds, source: { ...ds.source, seed: 6 } };
    expect(() => windowProbeSet(tampered)).toThrow(/rollout episode 0 is not reproduced by its seed 6/);
  });
});
