/** Shared fixtures of the analysis unit tests: window inputs for tiny random models. */
import type { DTArchitecture } from '../../../src/model/architecture.ts';
import type { DTInputs } from '../../../src/model/decisionTransformer.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { seededRandom } from '../../support/randomModel.ts';

/** B windows of T timesteps: binary observations, random actions, RTGs and increasing timesteps. */
export function windowInputs(arch: DTArchitecture, B = 2, T = 3, seed = 5): DTInputs {
  const rand = seededRandom(seed);
  const nObs = arch.obsShape[0] * arch.obsShape[1] * arch.obsShape[2];
  return {
    states: new Tensor(
      new Float32Array(B * T * nObs).map(() => (rand() < 0.4 ? 1 : 0)),
      [B, T, ...arch.obsShape],
    ),
    actions: Int32Array.from({ length: B * (T - 1) }, () => Math.floor(rand() * (arch.nActions + 1))),
    rtgs: Float32Array.from({ length: B * T }, () => rand()),
    timesteps: Int32Array.from({ length: B * T }, (_, i) => (i % T) + 2),
  };
}
