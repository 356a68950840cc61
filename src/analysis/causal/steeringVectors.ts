/**
 * Steering vectors for closed-loop runs, and the conditions of a steered-rollout experiment. A steering
 * vector (`SteeringVector`: a hook and `[P, ...]` values, optional positions) comes from a
 * clean/corrupted pair (`pairSteeringVector`), from the difference of dataset means of two conditions
 * (`meanDifferenceVector`, e.g. instruction key vs ball) or from a saved direction (`directionVector`,
 * broadcast to every position). `steeringConditions` turns it into closed-loop conditions: the
 * vector at each coefficient, and the controls: no steering, a seeded random vector of equal norm at
 * the same coefficient, and the sign-flipped vector.
 */
import { check } from '../../errors.ts';
import { ActivationCache } from '../../model/activationCache.ts';
import type {
  DTInputs,
  DecisionTransformer,
  RunOptions,
  RunResult,
} from '../../model/decisionTransformer.ts';
import { Tensor, numelOf, shapeString } from '../../tensor/tensor.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import { pairSteering } from '../scans/steering.ts';
import { type SourceCaches, interventionHooks } from './apply.ts';
import type { ClosedLoopCondition } from './closedLoop.ts';
import { hookRowShape } from './intervention.ts';
import { seededUniforms } from './stats.ts';
import type { WindowFeatures, WindowSet } from './windows.ts';

/** A steering vector: `hook` += c · vector at `positions` (default all). */
export interface SteeringVector {
  /** Full hook name, e.g. `blocks.0.hook_resid_pre` */
  hook: string;
  /** [P, ...per-position shape] the vector added per position */
  vector: Tensor;
  /** Token positions steered (default: all) */
  positions?: readonly number[];
}

/** `corrupted − clean` at `hook` ([P, ...]): DTI's AVEC `act_diff`, from the scans' `pairSteering`. */
export function pairSteeringVector(
  model: DecisionTransformer,
  clean: DTInputs,
  corrupted: DTInputs,
  hook: string,
): SteeringVector {
  const { sources } = pairSteering(model, clean, corrupted, hook);
  const a = sources!.clean.get(hook);
  const b = sources!.corrupted.get(hook);
  return {
    hook,
    vector: new Tensor(
      b.data.map((v, i) => v - a.data[i]),
      a.shape.slice(1),
    ),
  };
}

const checkHook = (model: DecisionTransformer, hook: string) =>
  check(model.hookNames.includes(hook), 'BAD_INPUT', `unknown hook point "${hook}"`);

/**
 * A saved direction `[width]` (the hook's last axis) added at every position, or a full `[P, ...]`
 * vector given flat. Throws BAD_SHAPE naming the expected width.
 */
export function directionVector(
  model: DecisionTransformer,
  hook: string,
  values: readonly number[],
  nTokens: number,
  positions?: number[],
): SteeringVector {
  checkHook(model, hook);
  const shape = hookRowShape(hook, model.arch, nTokens);
  const width = numelOf(shape.slice(1));
  check(
    values.length === width || values.length === numelOf(shape),
    'BAD_SHAPE',
    `the steering vector has ${values.length} values; ${hook} needs ${width} (one position, [${shape.slice(1).join(', ')}]) or ${numelOf(shape)} ([${shape.join(', ')}])`,
  );
  values.forEach((v) => check(Number.isFinite(v), 'BAD_INPUT', 'steering vector values must be finite'));
  const data = new Float32Array(numelOf(shape));
  if (values.length === width) for (let p = 0; p < nTokens; p++) data.set(values, p * width);
  else data.set(values);
  return { hook, vector: new Tensor(data, shape), ...(positions && { positions }) };
}

/**
 * mean(hook | a) − mean(hook | b) over the windows of a set, per position `[P, ...]` (or averaged over
 * positions and broadcast, with `averagePositions`). One batched cached run per chunk of windows.
 */
export async function meanDifferenceVector(
  model: DecisionTransformer,
  windows: WindowSet,
  hook: string,
  a: (f: WindowFeatures) => boolean,
  b: (f: WindowFeatures) => boolean,
  options: JobControl & { averagePositions?: boolean } = {},
): Promise<SteeringVector> {
  checkHook(model, hook);
  const { features, inputs } = windows;
  const inA = features.map(a);
  const inB = features.map(b);
  const nA = inA.filter(Boolean).length;
  const nB = inB.filter(Boolean).length;
  check(nA > 0 && nB > 0, 'BAD_INPUT', `both conditions need windows (got ${nA} and ${nB})`);
  const [N, T, ...obs] = inputs.states.shape;
  const perState = numelOf(obs);
  const Ta = inputs.actions ? inputs.actions.length / N : 0;
  let sum: Float64Array | null = null;
  let rowShape: number[] = [];
  await forEachChunk(N, options, (from, to) => {
    const run = model.run(
      {
        states: new Tensor(inputs.states.data.subarray(from * T * perState, to * T * perState), [
          to - from,
          T,
          ...obs,
        ]),
        actions: inputs.actions ? inputs.actions.subarray(from * Ta, to * Ta) : null,
        rtgs: inputs.rtgs.subarray(from * T, to * T),
        timesteps: inputs.timesteps.subarray(from * T, to * T),
      },
      { cache: [hook] },
    );
    const act = run.cache!.get(hook);
    rowShape = act.shape.slice(1);
    const size = act.size / act.shape[0];
    sum ??= new Float64Array(size);
    for (let r = 0; r < to - from; r++) {
      const w = inA[from + r] ? 1 / nA : inB[from + r] ? -1 / nB : 0;
      if (w === 0) continue;
      for (let j = 0; j < size; j++) sum[j] += w * act.data[r * size + j];
    }
  });
  const diff = Float32Array.from(sum!);
  if (options.averagePositions) {
    const P = rowShape[0];
    const width = diff.length / P;
    const avg = new Float32Array(width);
    for (let p = 0; p < P; p++) for (let j = 0; j < width; j++) avg[j] += diff[p * width + j] / P;
    return directionVector(model, hook, Array.from(avg), P);
  }
  return { hook, vector: new Tensor(diff, rowShape) };
}

/** L2 norm over the steered positions. */
function steeredNorm(s: SteeringVector): number {
  const [P] = s.vector.shape;
  const width = s.vector.size / P;
  let sq = 0;
  for (const p of s.positions ?? Array.from({ length: P }, (_, i) => i))
    for (let j = 0; j < width; j++) sq += s.vector.data[p * width + j] ** 2;
  return Math.sqrt(sq);
}

/** A seeded Gaussian vector with the same shape and steered norm as `s` (mulberry32 + Box-Muller). */
export function randomLike(s: SteeringVector, seed: number): SteeringVector {
  const next = seededUniforms(seed);
  const data = new Float32Array(s.vector.size).map(
    () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  );
  const random = { ...s, vector: new Tensor(data, s.vector.shape) };
  const scale = steeredNorm(s) / steeredNorm(random);
  for (let i = 0; i < data.length; i++) data[i] *= scale;
  return random;
}

export interface SteeringExperiment {
  conditions: ClosedLoopCondition[];
  sources: SourceCaches;
  /** L2 norm of the vector over its steered positions (the random control's norm too). */
  norm: number;
}

/**
 * Closed-loop conditions: `none`, then per coefficient c: `steer c`, and with controls `random c` and
 * `flipped c` (−c · vector). Coefficients must be a non-empty list of finite numbers.
 */
export function steeringConditions(
  model: DecisionTransformer,
  steering: SteeringVector,
  coefficients: readonly number[],
  options: { controls?: boolean; seed?: number } = {},
): SteeringExperiment {
  check(coefficients.length > 0, 'BAD_INPUT', 'the coefficient range is empty');
  coefficients.forEach((c) =>
    check(Number.isFinite(c), 'BAD_INPUT', `coefficient ${c} is not a finite number`),
  );
  checkHook(model, steering.hook);
  const P = steering.vector.shape[0];
  const shape = hookRowShape(steering.hook, model.arch, P);
  check(
    shapeString(shape) === shapeString(steering.vector.shape),
    'BAD_SHAPE',
    `steering vector ${shapeString(steering.vector.shape)} does not fit ${steering.hook} (need ${shapeString(shape)})`,
  );
  const cache = (v: SteeringVector) =>
    new ActivationCache(new Map([[v.hook, new Tensor(v.vector.data, [1, ...v.vector.shape])]]), model);
  const where = steering.positions ? { positions: [...steering.positions] } : undefined;
  const add = (source: string, coefficient: number) => [
    { hook: steering.hook, op: { kind: 'add' as const, coefficient, vector: { source } }, where },
  ];
  const controls = options.controls ?? true;
  const conditions: ClosedLoopCondition[] = [{ label: 'none', row: [] }];
  for (const c of coefficients) {
    conditions.push({ label: `steer ${c}`, row: add('steer', c) });
    if (controls) {
      conditions.push({ label: `random ${c}`, row: add('random', c) });
      conditions.push({ label: `flipped ${c}`, row: add('steer', -c) });
    }
  }
  return {
    conditions,
    sources: { steer: cache(steering), random: cache(randomLike(steering, options.seed ?? 0)) },
    norm: steeredNorm(steering),
  };
}

/**
 * One forward pass of `inputs` ([1 or N, ...] windows of the vector's P tokens) with `coefficient · vector`
 * added at the steering hook: the run of the `steer c` condition of `steeringConditions`, e.g. the
 * app's steered prediction. `options` are the other run options (cache, last-position readout).
 */
export function steeredRun(
  model: DecisionTransformer,
  inputs: DTInputs,
  steering: SteeringVector,
  coefficient: number,
  options: Omit<RunOptions, 'hooks'> = {},
): RunResult {
  const { conditions, sources } = steeringConditions(model, steering, [coefficient], { controls: false });
  const N = inputs.states.shape[0];
  const rows = Array.from({ length: N }, () => conditions[1].row);
  return model.run(inputs, {
    ...options,
    hooks: interventionHooks(rows, model.arch, steering.vector.shape[0], sources),
  });
}
