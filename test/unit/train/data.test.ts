import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDtiTrajectories } from '../../../src/io/dtiTrajectories.ts';
import { makeEnv } from '../../../src/env/index.ts';
import { DEFAULT_ENV_CONFIG } from '../../../src/config/config.ts';
import { type CollectOptions, type MemoryLayout, collectDemonstrations } from '../../../src/train/collect.ts';
import {
  type Dataset,
  datasetFromDti,
  episodeReturn,
  readDataset,
  writeDataset,
} from '../../../src/train/dataset.ts';
import { WindowSampler, returnsToGo, topEpisodes } from '../../../src/train/sampler.ts';
import { describeWithShared, sharedPath } from '../../support/shared.ts';

const episode = (L: number, reward: number, obsBase: number) => ({
  observations: Uint8Array.from({ length: L * 2 }, (_, i) => obsBase + i),
  actions: Int32Array.from({ length: L }, (_, t) => t % 3),
  rewards: Float32Array.from({ length: L }, (_, t) => (t === L - 1 ? reward : 0)),
  terminated: true,
  truncated: false,
});

const tinyDataset = (): Dataset => ({
  env: { ...DEFAULT_ENV_CONFIG, envId: 'Test-v0', maxSteps: 30 },
  nActions: 3,
  obsShape: [1, 1, 2],
  episodes: [episode(2, 0.5, 10), episode(5, 1, 50), episode(1, -1, 90)],
  source: { test: true },
});

describe('dataset format', () => {
  it('round-trips episodes, env config and source through safetensors', () => {
    const ds = tinyDataset();
    const back = readDataset(writeDataset(ds));
    expect(back.nActions).toBe(3);
    expect(back.obsShape).toEqual([1, 1, 2]);
    expect(back.env.envId).toBe('Test-v0');
    expect(back.env.maxSteps).toBe(30);
    expect(back.source).toEqual({ test: true });
    expect(back.episodes.map((e) => [...e.actions])).toEqual(ds.episodes.map((e) => [...e.actions]));
    expect(back.episodes.map((e) => [...e.observations])).toEqual(
      ds.episodes.map((e) => [...e.observations]),
    );
    expect(back.episodes.map(episodeReturn)).toEqual([0.5, 1, -1]);
  });

  it('rejects files that are not dtlens datasets, and out-of-range actions', () => {
    const ds = tinyDataset();
    ds.episodes[0].actions[0] = 5;
    expect(() => readDataset(writeDataset(ds))).toThrow(/action 5/);
    expect(() => readDataset(new Uint8Array(20))).toThrow();
  });

  it('collects Memory demonstrations whose returns vary (wrong-object episodes fail)', () => {
    const options: CollectOptions = {
      env: { ...DEFAULT_ENV_CONFIG, envId: 'MiniGrid-MemoryS7FixedStart-v0', oneHotObs: true },
      episodes: 20,
      policy: 'mixed',
      epsilon: 0,
      wrongFraction: 0.5,
      randomFraction: 0,
      seed: 3,
    };
    const ds = collectDemonstrations(options);
    expect(ds.obsShape).toEqual([7, 7, 20]);
    const returns = ds.episodes.map(episodeReturn);
    const wins = returns.filter((r) => r > 0).length;
    expect(wins).toBeGreaterThan(2);
    expect(wins).toBeLessThan(18);
    // successes end with 1 - 0.9 * steps / max_steps (MemoryEnv reward)
    for (const e of ds.episodes)
      if (episodeReturn(e) > 0) expect(episodeReturn(e)).toBeCloseTo(1 - (0.9 * e.actions.length) / 1000, 5);
    // the same options give the same data
    const again = collectDemonstrations({ ...options });
    expect(again.episodes.map(episodeReturn)).toEqual(returns);
  });

  it('keeps only the requested Memory layout, skipping the seeds of the other one', () => {
    const memoryOptions = (episodes: number, memoryLayout?: MemoryLayout): CollectOptions => ({
      env: { ...DEFAULT_ENV_CONFIG, envId: 'MiniGrid-MemoryS7FixedStart-v0' },
      episodes,
      policy: 'expert',
      epsilon: 0,
      wrongFraction: 0,
      randomFraction: 0,
      seed: 5,
      memoryLayout,
    });
    const memory = (episodes: number, memoryLayout?: MemoryLayout) =>
      collectDemonstrations(memoryOptions(episodes, memoryLayout));
    // the object in the cell above the corridor end (x 5, y 1 on the 7x7 grid), read from the grid encoding
    const env = makeEnv('MiniGrid-MemoryS7FixedStart-v0');
    const KEY = 5;
    const keyOnTop = (seed: number) => {
      env.reset(seed);
      const { grid, height } = env.snapshot();
      return grid[(5 * height + 1) * 3] === KEY;
    };
    const all = memory(16).episodes;
    const keyTop = all.filter((_, i) => keyOnTop(5 + i));
    const ballTop = all.filter((_, i) => !keyOnTop(5 + i));
    expect(keyTop.length).toBeGreaterThan(2);
    expect(ballTop.length).toBeGreaterThan(2);
    const filtered = memory(keyTop.length, 'key-top');
    expect(filtered.episodes.map((e) => [...e.actions])).toEqual(keyTop.map((e) => [...e.actions]));
    expect(filtered.source.memory_layout).toBe('key-top');
    expect(memory(ballTop.length, 'ball-top').episodes.map((e) => [...e.actions])).toEqual(
      ballTop.map((e) => [...e.actions]),
    );
    const empty: CollectOptions = {
      ...memoryOptions(1, 'key-top'),
      env: { ...DEFAULT_ENV_CONFIG, envId: 'MiniGrid-Empty-5x5-v0' },
    };
    expect(() => collectDemonstrations(empty)).toThrow(/applies only to Memory/);
  });
});

describe('window sampling', () => {
  it('computes returns-to-go as reward suffix sums', () => {
    expect([...returnsToGo(Float32Array.from([0, 0.5, 0, 1]))]).toEqual([1.5, 1.5, 1, 1]);
  });

  it('keeps the best-return episodes covering pct_traj of the steps', () => {
    const ds = tinyDataset();
    expect(topEpisodes(ds.episodes, 0.5).map(episodeReturn)).toEqual([1]);
    expect(topEpisodes(ds.episodes, 0.7).map(episodeReturn)).toEqual([1, 0.5]);
  });

  it('pads windows before the episode start exactly like inference', () => {
    const ds = tinyDataset();
    ds.episodes = [ds.episodes[0]]; // length 2, observations 10..13, actions [0, 1], reward 0.5 at the end
    const sampler = new WindowSampler(ds, { maxLen: 4, pctTraj: 1, probGoFromEnd: 1 });
    const { inputs, targets } = sampler.sample(1, { random: () => 0 });
    expect([...inputs.states.data]).toEqual([0, 0, 0, 0, 10, 11, 12, 13]);
    expect([...inputs.actions!]).toEqual([3, 3, 0]);
    expect([...inputs.rtgs]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect([...inputs.timesteps]).toEqual([0, 0, 0, 1]);
    expect([...targets]).toEqual([3, 3, 0, 1]);
  });

  it('samples windows ending inside long episodes without padding', () => {
    const ds = tinyDataset();
    ds.episodes = [ds.episodes[1]]; // length 5
    const sampler = new WindowSampler(ds, { maxLen: 2, pctTraj: 1, probGoFromEnd: 0 });
    const u = [0, 0.5, 0.99]; // episode pick, go-from-end draw, then end = floor(0.99 * 5) = 4
    const { inputs, targets } = sampler.sample(1, { random: () => u.shift()! });
    expect([...inputs.timesteps]).toEqual([3, 4]);
    expect([...inputs.actions!]).toEqual([0]);
    expect([...targets]).toEqual([0, 1]);
    expect([...inputs.states.data]).toEqual([56, 57, 58, 59]);
  });

  it('ends windows at the focus step with probability prob_focus_step, clamped to short episodes', () => {
    const ds = tinyDataset();
    const sampler = new WindowSampler(ds, {
      maxLen: 2,
      pctTraj: 1,
      probGoFromEnd: 0,
      probFocusStep: 0.5,
      focusStep: 2,
    });
    const lastTimestep = (u: number[]) => sampler.sample(1, { random: () => u.shift()! }).inputs.timesteps[1];
    // episode pick u = 0.5 of 8 steps -> the 5-step episode; a focus draw below 0.5 ends the window at step 2
    expect(lastTimestep([0.5, 0.49])).toBe(2);
    // a focus draw of 0.5 falls back to the uniform end: go-from-end draw, then floor(0.99 * 5) = 4
    expect(lastTimestep([0.5, 0.5, 0.5, 0.99])).toBe(4);
    // the 2-step episode has no step 2: the window ends at its last step (padded before it)
    const short = sampler.sample(1, { random: () => 0 });
    expect([...short.inputs.timesteps]).toEqual([0, 1]);
    expect([...short.targets]).toEqual([0, 1]);
  });
});

describeWithShared('DTI trajectory files as training data', () => {
  it('reads the DTI fixture into 238 episodes and 1,920 steps (DTI test_offline_dataset)', async () => {
    const file = await readDtiTrajectories(
      new Uint8Array(readFileSync(sharedPath('golden/dti_trajectories_fixture.xz'))),
    );
    const ds = datasetFromDti(file, 3);
    expect(ds.episodes.length).toBe(238);
    expect(ds.episodes.reduce((n, e) => n + e.actions.length, 0)).toBe(1920);
    expect(ds.env.envId).toBe('MiniGrid-Dynamic-Obstacles-8x8-v0');
    expect(ds.env.oneHotObs).toBe(true);
    expect(ds.obsShape).toEqual([7, 7, 20]);
    const back = readDataset(writeDataset(ds));
    expect(back.episodes.length).toBe(238);
  });
});
