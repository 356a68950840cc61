/**
 * A window dataset's labelled windows (`labelledWindowsFromDataset`, features from replaying its
 * episodes) against the labelled windows of the same greedy rollouts played directly
 * (`labelledWindowsFromRollouts`, features read from the live env): the same windows with the same
 * features, on the default MemoryS7 model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  labelledWindowsFromDataset,
  labelledWindowsFromRollouts,
} from '../../../src/analysis/causal/windows.ts';
import { windowsFromRollouts } from '../../../src/analysis/scans/windowDataset.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';

const ckpt = loadCheckpoint(
  new Uint8Array(readFileSync('models/MiniGrid-MemoryS7FixedStart-v0.safetensors')),
);

describe('labelledWindowsFromDataset', () => {
  it('gives the windows and features of the same rollouts played directly', async () => {
    const model = createModel(ckpt, { gemm: new TsGemm() });
    const seeds = [3, 4, 5, 6];
    const live = labelledWindowsFromRollouts(model, {
      env: ckpt.env,
      seeds,
      targetRtg: 0.9,
      maxEpisodeSteps: 30,
    });
    const ds = await windowsFromRollouts(model, {
      env: ckpt.env,
      seed: 3,
      episodes: 4,
      rtgs: [0.9],
      maxEpisodeSteps: 30,
    });
    const replayed = labelledWindowsFromDataset(ds);
    const key = (f: { seed: number; step: number }) => `${f.seed}/${f.step}`;
    const cell = ds.inputs.states.size / ds.episode.length;
    const byKey = new Map(live.features.map((f, i) => [key(f), i]));
    expect(replayed.features).toHaveLength(live.features.length);
    expect(new Set(replayed.features.map((f) => f.instruction))).toEqual(new Set(['key', 'ball']));
    replayed.features.forEach((f, i) => {
      const j = byKey.get(key(f))!;
      expect(f, key(f)).toEqual(live.features[j]);
      expect(replayed.inputs.states.data.subarray(i * cell, (i + 1) * cell)).toEqual(
        live.inputs.states.data.subarray(j * cell, (j + 1) * cell),
      );
    });
  });
});
