/**
 * PlaySession against the original Python: replays every golden trajectory (seed, initial RTG, actions)
 * and compares each window with the `inputs.*` tensors DTI fed the model (exactly) and the action logits
 * with the rollout's `episode.step_action_logits` and the batched `raw.action_preds` (1e-5).
 */
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { openSession } from '../../src/session/openSession.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { GOLDEN_MODELS } from '../support/golden.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

/** Golden folder -> checkpoint: DTI HEAD models, then DTI@5367db3 legacy models (one-timestep layout). */
const MODELS: [string, string][] = [
  ['MemoryGatedMLP', 'MemoryGatedMLP.pt'],
  ['ReproduceOriginalPostShort', 'ReproduceOriginalPostShort.pt'],
  ['DevModelNotCalibrated', 'DevModelNotCalibrated.pt'],
  ['legacy_demo_model', 'demo_model.pt'],
  ['legacy_demo_model_one_hot_overnight', 'demo_model_one_hot_overnight.pt'],
  ['legacy_demo_model_overnight_training', 'demo_model_overnight_training.pt'],
  ['legacy_first_pass_DoorKey', 'first_pass.pt'],
  ['legacy_linear_model_not_performant', 'linear_model_not_performant.pt'],
];
const TOLERANCE = 1e-5;
const table = new ErrorTable();

interface GoldenTrajectory {
  index: number;
  seed: number;
  initial_rtg: number;
  file: string;
  n_steps: number;
  actions: number[];
  rewards: number[];
}

const int = (data: ArrayLike<number | bigint>): number[] => Array.from(data, Number);

describeWithShared('PlaySession replays the golden trajectories', () => {
  afterAll(() => console.log(table.format('worst |dtlens - python| / max(1, |python|) of action logits')));

  it('covers every golden model', () => {
    expect(MODELS.map(([name]) => name).sort()).toEqual(Object.keys(GOLDEN_MODELS).sort());
  });

  for (const [name, file] of MODELS) {
    it(`${name}: every window and its logits match DTI's rollout`, () => {
      let rolloutSteps = 0;
      let steps = 0;
      const ckpt = loadCheckpoint(readFileSync(sharedPath('models', file)), file);
      const { trajectories } = readSharedJson<{ trajectories: GoldenTrajectory[] }>(
        'golden',
        name,
        'trajectories.json',
      );
      expect(trajectories.length).toBeGreaterThan(0);
      const session = openSession(ckpt, { gemm: new TsGemm(), weights: 'raw' });
      for (const traj of trajectories) {
        const golden = readSafetensors(readFileSync(sharedPath('golden', name, traj.file))).tensors;
        const tensor = (key: string) => {
          const t = golden.get(key);
          expect(t, `${traj.file} ${key}`).toBeDefined();
          return t!;
        };
        const states = tensor('inputs.states');
        const rtgs = tensor('inputs.rtgs');
        const timesteps = tensor('inputs.timesteps');
        const actions = golden.get('inputs.actions');
        const [nSteps, T] = states.shape;
        expect(nSteps).toBe(traj.n_steps);
        const stateSize = states.shape.slice(2).reduce((a, b) => a * b, 1);
        const A = ckpt.nActions;
        const stepLogits = golden.has('episode.step_action_logits')
          ? toFloat32(tensor('episode.step_action_logits'))
          : null;
        const batchedPreds = toFloat32(tensor('raw.action_preds'));

        session.setInitialRtg(traj.initial_rtg);
        session.reset(traj.seed);
        for (let k = 0; k < nSteps; k++) {
          const where = `${name} ${traj.file} step ${k}`;
          const w = session.window();
          expect(Array.from(w.states.data), `${where} states`).toEqual(
            Array.from(toFloat32(states).subarray(k * T * stateSize, (k + 1) * T * stateSize)),
          );
          expect(Array.from(w.rtgs), `${where} rtgs`).toEqual(
            Array.from(toFloat32(rtgs).subarray(k * T, (k + 1) * T)),
          );
          expect(Array.from(w.timesteps), `${where} timesteps`).toEqual(
            int(timesteps.data).slice(k * T, (k + 1) * T),
          );
          if (actions) {
            expect(w.actions, `${where} actions`).not.toBeNull();
            const Ta = actions.shape[1];
            expect(Array.from(w.actions!), `${where} actions`).toEqual(
              int(actions.data).slice(k * Ta, (k + 1) * Ta),
            );
          } else expect(w.actions, `${where}: no action tokens for max_len ${T}`).toBeNull();

          const { logits } = session.predict();
          const batched = discrepancy(logits, batchedPreds.subarray(((k + 1) * T - 1) * A, (k + 1) * T * A));
          expect(batched.worst, `${where} vs raw.action_preds`).toBeLessThanOrEqual(TOLERANCE);
          table.record(name, `${traj.file} step ${k}`, batched);
          steps++;
          if (stepLogits) {
            rolloutSteps++;
            const rollout = discrepancy(logits, stepLogits.subarray(k * A, (k + 1) * A));
            table.record(name, `${traj.file} step ${k} (rollout)`, rollout);
            expect(rollout.worst, `${where} vs step_action_logits`).toBeLessThanOrEqual(TOLERANCE);
          }

          const { reward, end } = session.step(traj.actions[k]);
          expect(Math.fround(reward), `${where} reward`).toBe(Math.fround(traj.rewards[k]));
          if (k < nSteps - 1) expect(end, `${where} ended early`).toBeNull();
        }
      }
      // every step of every trajectory was compared, and with the rollout logits where they are stored
      expect(steps).toBe(trajectories.reduce((n, t) => n + t.n_steps, 0));
      expect(rolloutSteps).toBe(GOLDEN_MODELS[name].stepLogits ? steps : 0);
    });
  }
});
