/**
 * Env parity against real Python (golden README §C): every file of `golden/env/` replayed through
 * `recordReplay` must equal the recorded tensors exactly (integers bit for bit, rewards as float32),
 * and DTI's Dynamic-Obstacles fixture (1,920 recorded steps) must replay observation for observation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { recordReplay } from '../../src/env/replay.ts';
import { makeEnv } from '../../src/env/registry.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import type { RawTensor } from '../../src/io/rawTensor.ts';
import { describeWithShared, readSharedJson, sharedAvailable, sharedPath } from '../support/shared.ts';

interface Manifest {
  environment_config: {
    env_id: string;
    one_hot_obs: boolean;
    fully_observed: boolean;
    max_steps: number;
    view_size: number;
  };
  seeds: { seed: number; file: string; actions: number[]; n_episode_resets: number }[];
}

const variants = sharedAvailable ? readdirSync(sharedPath('golden', 'env')).sort() : [];

/** First differing element of two tensors, or null when dtype, shape and every value agree. */
function firstDifference(ours: RawTensor, gold: RawTensor): string | null {
  if (ours.dtype !== gold.dtype) return `dtype ${ours.dtype} vs ${gold.dtype}`;
  if (ours.shape.join() !== gold.shape.join()) return `shape [${ours.shape}] vs [${gold.shape}]`;
  for (let i = 0; i < gold.data.length; i++) {
    if (ours.data[i] !== gold.data[i]) return `element ${i}: ${ours.data[i]} vs ${gold.data[i]}`;
  }
  return null;
}

describeWithShared('golden env replays', () => {
  it('finds the six golden variants', () => {
    expect(variants.length).toBe(6);
  });

  for (const variant of variants) {
    const manifest = readSharedJson<Manifest>('golden', 'env', variant, 'manifest.json');
    const cfg = manifest.environment_config;
    for (const { seed, file, actions, n_episode_resets } of manifest.seeds) {
      it(`${variant} seed ${seed} (${n_episode_resets} unseeded resets)`, () => {
        const gold = readSafetensors(
          new Uint8Array(readFileSync(sharedPath('golden', 'env', variant, file))),
        );
        const ours = recordReplay({
          envId: cfg.env_id,
          oneHotObs: cfg.one_hot_obs,
          fullyObserved: cfg.fully_observed,
          maxSteps: cfg.max_steps,
          viewSize: cfg.view_size,
          seed,
          actions,
        });
        expect(Object.keys(ours).sort()).toEqual([...gold.tensors.keys()].sort());
        const mismatches = [...gold.tensors]
          .map(([name, t]) => [name, firstDifference(ours[name], t)])
          .filter(([, diff]) => diff !== null);
        expect(mismatches).toEqual([]);
      });
    }
  }
});

interface DynObsFixture {
  env_kwargs: { size: number; n_obstacles: number; max_steps: number };
  envs: {
    first_reset_seed: number;
    steps: { obs: string; action: number; reward: number; terminated: boolean }[];
  }[];
}

/** The fixture's observation code: x-major, three hex digits (object, colour, state) per cell. */
const hexObs = (image: Uint8Array): string => Array.from(image, (v) => v.toString(16)).join('');

describeWithShared('DTI Dynamic-Obstacles fixture (real Python, 30 envs x 64 steps)', () => {
  it('replays every observation, reward and termination', () => {
    const fixture = readSharedJson<DynObsFixture>('golden', 'env_dynamic_obstacles_fixture.json');
    expect(fixture.env_kwargs).toMatchObject({ size: 8, n_obstacles: 4, max_steps: 300 });
    let steps = 0;
    let episodeEnds = 0;
    const mismatches: string[] = [];
    for (const [e, recorded] of fixture.envs.entries()) {
      const env = makeEnv('MiniGrid-Dynamic-Obstacles-8x8-v0', { maxSteps: 300 });
      env.reset(recorded.first_reset_seed);
      let obs = env.reset();
      for (const [t, step] of recorded.steps.entries()) {
        steps++;
        if (hexObs(obs.image) !== step.obs) mismatches.push(`env ${e} step ${t}: obs`);
        const result = env.step(step.action);
        if (result.reward !== step.reward) mismatches.push(`env ${e} step ${t}: reward ${result.reward}`);
        if (result.terminated !== step.terminated) mismatches.push(`env ${e} step ${t}: terminated`);
        obs = result.obs;
        if (result.terminated || result.truncated) {
          episodeEnds++;
          obs = env.reset();
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(steps).toBe(1920);
    expect(episodeEnds).toBe(211);
  });
});
