/** The env API shared by raw environments, wrappers, renderers and scripted experts. */
import type { EnvSnapshot } from '../snapshot.ts';
import type { MiniGridEnv } from './miniGridEnv.ts';

/**
 * One observation. `image` is MiniGrid's `[x][y][c]` array flattened as `(x * Y + y) * C + c`
 * with `shape = [X, Y, C]`; x runs left to right across the view and y from far to near (the agent
 * sits at `(X//2, Y-1)` facing up). `direction` is the agent's world direction (0 east ... 3 north).
 */
export interface Obs {
  image: Uint8Array;
  shape: [number, number, number];
  direction: number;
  mission: string;
}

export interface StepResult {
  obs: Obs;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

/** Anything that plays like a gymnasium MiniGrid env: a raw env or a wrapper around one. */
export interface Env {
  /** Starts an episode; a seed reseeds the RNG, no seed continues the current stream. */
  reset(seed?: number): Obs;
  step(action: number): StepResult;
  /** The observation of the current state through every wrapper (what `step` would return now). */
  observe(): Obs;
  snapshot(): EnvSnapshot;
  readonly nActions: number;
  readonly maxSteps: number;
  /** The raw MiniGrid env under any wrappers. */
  readonly unwrapped: MiniGridEnv;
}
