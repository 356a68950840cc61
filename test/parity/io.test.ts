/**
 * Loaders against the original Python: every checkpoint in ../shared/models loads with the config and
 * state-dict shapes DTI reported (golden config.json), and DTI's trajectory fixture splits like
 * DTI's TrajectoryDataset. Native round trips are in ioConvert.test.ts.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import { expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { readDtiTrajectories, splitTrajectories } from '../../src/io/dtiTrajectories.ts';
import { xzDecompress } from '../../src/io/xz.ts';
import { envConfigToJson, modelConfigToJson } from '../../src/config/config.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

interface GoldenConfig {
  transformer_config?: Record<string, unknown>;
  legacy_model_attrs?: Record<string, unknown>;
  environment_config: Record<string, unknown> & { action_space?: { n: number } };
  offline_config?: Record<string, unknown>;
  n_actions?: number;
  state_dict_shapes: Record<string, number[]> | { raw: Record<string, number[]> };
}

const CURRENT = ['MemoryGatedMLP', 'ReproduceOriginalPostShort', 'DevModelNotCalibrated'];
const LEGACY: Record<string, string> = {
  demo_model: 'legacy_demo_model',
  demo_model_overnight_training: 'legacy_demo_model_overnight_training',
  demo_model_one_hot_overnight: 'legacy_demo_model_one_hot_overnight',
  first_pass: 'legacy_first_pass_DoorKey',
  linear_model_not_performant: 'legacy_linear_model_not_performant',
};

const load = (model: string): Checkpoint =>
  loadCheckpoint(new Uint8Array(readFileSync(sharedPath('models', `${model}.pt`))), `${model}.pt`);

function shapesOf(ckpt: Checkpoint): Record<string, number[]> {
  return Object.fromEntries([...ckpt.weights].map(([k, t]) => [k, t.shape]));
}

function expectEnvMatches(ckpt: Checkpoint, golden: GoldenConfig['environment_config']): void {
  const ours = envConfigToJson(ckpt.env);
  for (const [key, value] of Object.entries(golden))
    if (!['action_space', 'observation_space', 'device'].includes(key)) expect(ours[key], key).toEqual(value);
}

describeWithShared('checkpoints match the golden configs of the original Python', () => {
  it.each(CURRENT)('%s (current DTI format)', (model) => {
    const golden = readSharedJson<GoldenConfig>('golden', model, 'config.json');
    const ckpt = load(model);
    expect(ckpt.format).toBe('dti');
    const { device: _device, ...ourModel } = modelConfigToJson(ckpt.model);
    const { device: _goldenDevice, ...goldenModel } = golden.transformer_config!;
    expect(ourModel).toEqual(goldenModel);
    expectEnvMatches(ckpt, golden.environment_config);
    expect(ckpt.nActions).toBe(golden.environment_config.action_space!.n);
    const image = (golden.environment_config.observation_space as { image: { shape: number[] } }).image;
    expect(ckpt.obsShape).toEqual(image.shape);
    expect(ckpt.offline).toEqual(golden.offline_config);
    expect(shapesOf(ckpt)).toEqual((golden.state_dict_shapes as { raw: Record<string, number[]> }).raw);
  });

  it.each(Object.entries(LEGACY))('%s (legacy bare state dict, config inferred)', (model, goldenDir) => {
    const golden = readSharedJson<GoldenConfig>('golden', goldenDir, 'config.json');
    const attrs = golden.legacy_model_attrs!;
    const ckpt = load(model);
    expect(ckpt.format).toBe('dti-legacy');
    expect(ckpt.model).toMatchObject({
      dModel: attrs.d_model,
      nHeads: attrs.n_heads,
      dHead: attrs.d_head,
      dMlp: attrs.d_mlp,
      nLayers: attrs.n_layers,
      nCtx: attrs.n_ctx,
      layerNorm: attrs.layer_norm === false ? null : attrs.layer_norm,
      stateEmbeddingType: attrs.state_embedding_type,
      timeEmbeddingType: attrs.time_embedding_type === 'learned' ? 'embedding' : attrs.time_embedding_type,
    });
    // A linear time embedding does not record its max timestep in the weights.
    expect(ckpt.legacy!.maxTimestep).toBe(attrs.time_embedding_type === 'linear' ? null : attrs.max_timestep);
    expect(ckpt.env.oneHotObs).toBe(attrs.one_hot_obs);
    expectEnvMatches(ckpt, golden.environment_config);
    expect(ckpt.nActions).toBe(golden.n_actions);
    expect(shapesOf(ckpt)).toEqual(golden.state_dict_shapes);
    expect(ckpt.provenance.inferred).toContain('env_id');
  });
});

interface FixtureJson {
  envs: {
    env_index: number;
    steps: { obs: string; action: number; reward: number; terminated: boolean; truncated: boolean }[];
  }[];
}

describeWithShared("DTI's trajectory fixture (tests/fixtures/test_trajectories.xz)", () => {
  const xzBytes = () => new Uint8Array(readFileSync(sharedPath('golden', 'dti_trajectories_fixture.xz')));

  it('splits into 238 trajectories and 1,920 timesteps, as DTI asserts', async () => {
    const file = await readDtiTrajectories(xzBytes());
    expect([file.nSteps, file.nEnvs, ...file.obsShape]).toEqual([64, 30, 7, 7, 20]);
    expect(file.observationType).toBe('one_hot');
    expect(file.infos).toHaveLength(64);
    expect((file.metadata.args as Record<string, unknown>).env_id).toBe('MiniGrid-Dynamic-Obstacles-8x8-v0');
    const trajs = splitTrajectories(file);
    expect(trajs).toHaveLength(238);
    expect(trajs.reduce((n, t) => n + t.length, 0)).toBe(1920);
    expect(Array.from(file.dones.data as Uint8Array).filter(Boolean)).toHaveLength(211);
    expect(Array.from(file.truncated.data as Uint8Array).filter(Boolean)).toHaveLength(30);
  });

  it('agrees step by step with the JSON transcription of the same recording', async () => {
    const file = await readDtiTrajectories(xzBytes());
    const json = readSharedJson<FixtureJson>('golden', 'env_dynamic_obstacles_fixture.json');
    const obs = file.observations.data as Float64Array;
    const cell = 7 * 7 * 20;
    for (const env of json.envs) {
      env.steps.forEach((step, t) => {
        const i = t * file.nEnvs + env.env_index;
        expect(Number(file.actions.data[i])).toBe(step.action);
        expect(file.rewards.data[i]).toBeCloseTo(step.reward, 12);
        expect(Boolean(file.dones.data[i])).toBe(step.terminated);
        // dense codes: for x, for y: object, colour, state (hex) -> one-hot channels obj, 11 + colour, 17 + state
        for (let x = 0; x < 7; x++)
          for (let y = 0; y < 7; y++) {
            const code = step.obs.slice((x * 7 + y) * 3, (x * 7 + y) * 3 + 3);
            const at = (ch: number) => obs[i * cell + (x * 7 + y) * 20 + ch];
            expect(
              at(parseInt(code[0], 16)) + at(11 + parseInt(code[1], 16)) + at(17 + parseInt(code[2], 16)),
            ).toBe(3);
          }
      });
    }
    expect(Array.from(obs).reduce((a, b) => a + b, 0)).toBe(64 * 30 * 49 * 3);
  });

  it('reads the same data from a gzip and a raw pickle', async () => {
    const raw = await xzDecompress(xzBytes());
    const fromRaw = splitTrajectories(await readDtiTrajectories(raw));
    const fromGz = splitTrajectories(await readDtiTrajectories(gzipSync(raw)));
    expect(fromGz.map((t) => t.length)).toEqual(fromRaw.map((t) => t.length));
    expect(fromGz[17].observations).toEqual(fromRaw[17].observations);
  });
});
