/** Base of gymnasium-style observation wrappers: the wrapped env plays, `observation` rewrites each obs. */
import type { MiniGridEnv } from '../core/miniGridEnv.ts';
import type { Env, Obs, StepResult } from '../core/types.ts';
import type { EnvSnapshot } from '../snapshot.ts';

export abstract class ObservationWrapper implements Env {
  constructor(readonly env: Env) {}

  protected abstract observation(obs: Obs): Obs;

  reset(seed?: number): Obs {
    return this.observation(this.env.reset(seed));
  }

  step(action: number): StepResult {
    const result = this.env.step(action);
    return { ...result, obs: this.observation(result.obs) };
  }

  observe(): Obs {
    return this.observation(this.env.observe());
  }

  snapshot(): EnvSnapshot {
    return this.env.snapshot();
  }

  get nActions(): number {
    return this.env.nActions;
  }

  get maxSteps(): number {
    return this.env.maxSteps;
  }

  get unwrapped(): MiniGridEnv {
    return this.env.unwrapped;
  }
}
