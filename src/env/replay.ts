/**
 * Replays an action sequence the way the golden env files were recorded (golden README §C):
 * `reset(seed)`, then for each action record the state before, step, record the state after,
 * and `reset()` without a seed whenever the episode ended. Returns the tensors of those files.
 */
import type { RawTensor } from '../io/rawTensor.ts';
import type { Env } from './core/types.ts';
import { makeDtiEnv, type EnvironmentConfig } from './wrappers/makeDtiEnv.ts';

export interface ReplayRequest extends EnvironmentConfig {
  seed: number;
  actions: readonly number[];
}

/** Per-step state fields, recorded under `before.*` and `after.*`. */
class StateRecorder {
  readonly obsImage: number[] = [];
  readonly obsImage3ch: number[] = [];
  readonly obsDirection: number[] = [];
  readonly agentPos: number[] = [];
  readonly agentDir: number[] = [];
  readonly grid: number[] = [];
  readonly carrying: number[] = [];
  readonly stepCount: number[] = [];
  obsShape: number[] = [];
  gridShape: number[] = [];

  /** `with3ch`: also keep the unwrapped 3-channel view (for one-hot observations). */
  constructor(private readonly with3ch: boolean) {}

  record(env: Env, obs: { image: Uint8Array; shape: number[]; direction: number }): void {
    const raw = env.unwrapped;
    this.obsShape = obs.shape;
    this.obsImage.push(...obs.image);
    if (this.with3ch) this.obsImage3ch.push(...raw.genObs().image);
    this.obsDirection.push(obs.direction);
    this.agentPos.push(raw.agentPos[0], raw.agentPos[1]);
    this.agentDir.push(raw.agentDir);
    this.grid.push(...raw.grid.encode());
    this.gridShape = [raw.width, raw.height, 3];
    this.carrying.push(...(raw.carrying?.encode() ?? [0, 0, 0]));
    this.stepCount.push(raw.stepCount);
  }

  tensors(prefix: string, steps: number): Record<string, RawTensor> {
    const vs = this.obsShape[0];
    const out: Record<string, RawTensor> = {
      [`${prefix}.obs_image`]: f32([steps, ...this.obsShape], this.obsImage),
      [`${prefix}.obs_direction`]: i64([steps], this.obsDirection),
      [`${prefix}.agent_pos`]: i64([steps, 2], this.agentPos),
      [`${prefix}.agent_dir`]: i64([steps], this.agentDir),
      [`${prefix}.grid`]: i64([steps, ...this.gridShape], this.grid),
      [`${prefix}.carrying`]: i64([steps, 3], this.carrying),
      [`${prefix}.step_count`]: i64([steps], this.stepCount),
    };
    if (this.with3ch)
      out[`${prefix}.obs_image_3ch`] = i64([steps, vs, this.obsShape[1], 3], this.obsImage3ch);
    return out;
  }
}

const f32 = (shape: number[], values: number[]): RawTensor => ({
  dtype: 'F32',
  shape,
  data: Float32Array.from(values),
});
const i64 = (shape: number[], values: number[]): RawTensor => ({
  dtype: 'I64',
  shape,
  data: BigInt64Array.from(values, (v) => BigInt(v)),
});

/**
 * Tensors `before.*`, `after.*`, `action`, `reward` (F32), `terminated`, `truncated`, `reset_after`
 * (I64 0/1); `*.obs_image_3ch` only for one-hot observations, as in the golden files.
 */
export function recordReplay(request: ReplayRequest): Record<string, RawTensor> {
  const env = makeDtiEnv(request);
  const oneHot = request.oneHotObs ?? false;
  const before = new StateRecorder(oneHot);
  const after = new StateRecorder(oneHot);
  const rewards: number[] = [];
  const terminated: number[] = [];
  const truncated: number[] = [];
  const resetAfter: number[] = [];
  let obs = env.reset(request.seed);
  for (const action of request.actions) {
    before.record(env, obs);
    const result = env.step(action);
    after.record(env, result.obs);
    rewards.push(result.reward);
    terminated.push(Number(result.terminated));
    truncated.push(Number(result.truncated));
    const ended = result.terminated || result.truncated;
    resetAfter.push(Number(ended));
    obs = ended ? env.reset() : result.obs;
  }
  const steps = request.actions.length;
  return {
    ...before.tensors('before', steps),
    ...after.tensors('after', steps),
    action: i64([steps], [...request.actions]),
    reward: f32([steps], rewards),
    terminated: i64([steps], terminated),
    truncated: i64([steps], truncated),
    reset_after: i64([steps], resetAfter),
  };
}
