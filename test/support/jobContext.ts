/**
 * A job panel's context for a window built in a test (a random model has no env): the episode part
 * has DTI's default env config and refuses `replay`, so a job that needs the env fails loudly here.
 */
import { DEFAULT_ENV_CONFIG } from '../../src/config/config.ts';
import { DtlensError } from '../../src/errors.ts';
import type { DTInputs, DecisionTransformer } from '../../src/model/decisionTransformer.ts';
import type { WeightVariant } from '../../src/model/processing.ts';
import type { JobContext } from '../../src/session/panels/types.ts';

export function windowJobContext(
  model: DecisionTransformer,
  inputs: DTInputs,
  position: number,
  weights: WeightVariant = 'raw',
): JobContext {
  return {
    model,
    inputs,
    position,
    weights,
    episode: {
      env: { ...DEFAULT_ENV_CONFIG },
      seed: 0,
      actions: [],
      initialRtg: 0.9,
      replay: () => {
        throw new DtlensError('BAD_INPUT', 'this test window has no episode to replay');
      },
    },
    dataset: null,
    keepDataset: () => {
      throw new DtlensError('BAD_INPUT', 'this test context keeps no dataset');
    },
    series: () => [],
  };
}
