/**
 * Policy field (beyond DTI): for the current window (history and RTG), the model's action distribution
 * with the agent placed on every cell of the current grid it can stand on, facing each direction, in
 * one batched run: the window's last observation is replaced by the observation from that pose (through
 * the env's own wrappers), every other token is unchanged. Optionally the same at a second RTG (every
 * RTG token set to it) and the difference. The env is left as it was.
 */
import { check } from '../../errors.ts';
import type { Env } from '../../env/core/types.ts';
import type { DTInputs, DecisionTransformer } from '../../model/decisionTransformer.ts';
import { repeatWindow } from '../../model/inputs.ts';
import { softmaxRowsInPlace } from '../../tensor/ops.ts';
import { actionName } from '../dynamic/logitDirection.ts';
import type { NdArray } from '../dynamic/run.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';

export interface Pose {
  x: number;
  y: number;
  /** 0 east, 1 south, 2 west, 3 north */
  dir: number;
}

export interface PolicyFieldResult {
  width: number;
  height: number;
  actionNames: string[];
  /** One row per pose */
  poses: Pose[];
  /** The agent's actual pose and its row */
  agent: Pose;
  agentRow: number;
  /** [poses, A] action probabilities at the window's last S token */
  probabilities: NdArray;
  /** The same with every RTG token set to `rtg`, and `probabilities − field.probabilities` */
  second?: { rtg: number; probabilities: NdArray; difference: NdArray };
}

/** Cells the agent can stand on (empty or overlappable), with each direction; the agent's cell included. */
function poses(env: Env): Pose[] {
  const u = env.unwrapped;
  const out: Pose[] = [];
  for (let y = 0; y < u.grid.height; y++)
    for (let x = 0; x < u.grid.width; x++) {
      const cell = u.grid.get(x, y);
      const isAgent = x === u.agentPos[0] && y === u.agentPos[1];
      if (cell === null || cell.canOverlap() || isAgent)
        for (let dir = 0; dir < 4; dir++) out.push({ x, y, dir });
    }
  return out;
}

/** The observation [X, Y, C] of every pose (the env is restored afterwards). */
function observations(env: Env, all: Pose[], size: number): Float32Array {
  const u = env.unwrapped;
  const saved = { pos: u.agentPos, dir: u.agentDir };
  const out = new Float32Array(all.length * size);
  try {
    all.forEach((p, i) => {
      u.agentPos = [p.x, p.y];
      u.agentDir = p.dir;
      const image = env.observe().image;
      check(
        image.length === size,
        'BAD_SHAPE',
        `the env's observation has ${image.length} values; the model reads ${size}`,
      );
      out.set(image, i * size);
    });
  } finally {
    u.agentPos = saved.pos;
    u.agentDir = saved.dir;
  }
  return out;
}

/** Action probabilities of the window with its last observation replaced by each of `obs` (chunked). */
async function fieldProbabilities(
  model: DecisionTransformer,
  window: DTInputs,
  obs: Float32Array,
  n: number,
  rtg: number | undefined,
  control: JobControl | undefined,
): Promise<Float32Array> {
  const [, T] = window.states.shape;
  const size = obs.length / n;
  const A = model.arch.nActions;
  const out = new Float32Array(n * A);
  await forEachChunk(n, control, (start, end) => {
    const batch = repeatWindow(window, end - start);
    for (let b = 0; b < end - start; b++) {
      batch.states.data.set(obs.subarray((start + b) * size, (start + b + 1) * size), (b * T + T - 1) * size);
      if (rtg !== undefined) batch.rtgs.fill(rtg, b * T, (b + 1) * T);
    }
    const preds = model.run(batch).actionPreds!; // [B, T', A]
    const Tp = preds.shape[1];
    for (let b = 0; b < end - start; b++)
      out.set(preds.data.subarray((b * Tp + Tp - 1) * A, (b * Tp + Tp) * A), (start + b) * A);
  });
  softmaxRowsInPlace(out, A);
  return out;
}

/** The policy field of `window` (a batch of one whose last observation is the env's current state). */
export async function policyField(
  model: DecisionTransformer,
  env: Env,
  window: DTInputs,
  options: { secondRtg?: number } = {},
  control?: JobControl,
): Promise<PolicyFieldResult> {
  check(
    window.states.shape[0] === 1,
    'BAD_SHAPE',
    `expected one window, got a batch of ${window.states.shape[0]}`,
  );
  const [X, Y, C] = model.arch.obsShape;
  const all = poses(env);
  const obs = observations(env, all, X * Y * C);
  const A = model.arch.nActions;
  const first = await fieldProbabilities(model, window, obs, all.length, undefined, control);
  const u = env.unwrapped;
  const agent = { x: u.agentPos[0], y: u.agentPos[1], dir: u.agentDir };
  const result: PolicyFieldResult = {
    width: u.grid.width,
    height: u.grid.height,
    actionNames: Array.from({ length: A }, (_, a) => actionName(a)),
    poses: all,
    agent,
    agentRow: all.findIndex((p) => p.x === agent.x && p.y === agent.y && p.dir === agent.dir),
    probabilities: { shape: [all.length, A], data: first },
  };
  if (options.secondRtg !== undefined) {
    const rtg = options.secondRtg;
    check(Number.isFinite(rtg), 'BAD_INPUT', `the second RTG must be a number, got ${rtg}`);
    const second = await fieldProbabilities(model, window, obs, all.length, rtg, control);
    result.second = {
      rtg,
      probabilities: { shape: [all.length, A], data: second },
      difference: { shape: [all.length, A], data: second.map((v, i) => v - first[i]) },
    };
  }
  return result;
}
