/**
 * MiniGrid's `FullyObsWrapper`: the whole grid encoded `[width][height][3]`, all visible, with the
 * agent's cell overwritten by `(agent 10, red 0, direction)`; the carried object is not shown.
 */
import { COLOR_TO_IDX, OBJECT_TO_IDX } from '../core/constants.ts';
import type { Obs } from '../core/types.ts';
import { ObservationWrapper } from './observationWrapper.ts';

export class FullyObsWrapper extends ObservationWrapper {
  protected observation(obs: Obs): Obs {
    const env = this.unwrapped;
    const image = env.grid.encode();
    const k = (env.agentPos[0] * env.height + env.agentPos[1]) * 3;
    image.set([OBJECT_TO_IDX.agent, COLOR_TO_IDX.red, env.agentDir], k);
    return { ...obs, image, shape: [env.width, env.height, 3] };
  }
}
