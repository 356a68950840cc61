/**
 * DTI's `ViewSizeWrapper` (`src/environments/wrappers.py`): re-encodes the agent view at another
 * (odd) size from the unwrapped env, with occlusion computed at that size.
 */
import { checkViewSize } from '../core/miniGridEnv.ts';
import type { Env, Obs } from '../core/types.ts';
import { ObservationWrapper } from './observationWrapper.ts';

export class ViewSizeWrapper extends ObservationWrapper {
  constructor(
    env: Env,
    readonly viewSize: number,
  ) {
    super(env);
    checkViewSize(viewSize);
  }

  protected observation(obs: Obs): Obs {
    const { grid, visible } = this.unwrapped.genObsGrid(this.viewSize);
    return { ...obs, image: grid.encode(visible), shape: [this.viewSize, this.viewSize, 3] };
  }
}
