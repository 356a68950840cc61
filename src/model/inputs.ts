/**
 * Model inputs stored as tensors, in the layout of the golden files and of `dtlens forward`:
 * `inputs.states [B,T,X,Y,C]`, optional `inputs.actions [B,Ta,1]` (absent = no actions; Ta = 0 =
 * empty actions), `inputs.rtgs [B,T,1]`, `inputs.timesteps [B,T,1]`.
 */
import { DtlensError, check } from '../errors.ts';
import { type RawTensor, toFloat32, toInt32Checked } from '../io/rawTensor.ts';
import { Tensor, shapeString } from '../tensor/tensor.ts';
import type { DTInputs } from './decisionTransformer.ts';

export function inputsFromTensors(tensors: ReadonlyMap<string, RawTensor>, prefix = 'inputs.'): DTInputs {
  const need = (name: string): RawTensor => {
    const t = tensors.get(prefix + name);
    if (!t) throw new DtlensError('BAD_INPUT', `input file has no "${prefix}${name}" tensor`);
    return t;
  };
  const states = need('states');
  check(
    states.shape.length === 5,
    'BAD_SHAPE',
    () => `${prefix}states must be [B, T, X, Y, C], got ${shapeString(states.shape)}`,
  );
  const [B, T] = states.shape;
  const expectBT1 = (name: string, t: RawTensor, steps: number) =>
    check(
      t.shape.length === 3 && t.shape[0] === B && t.shape[1] === steps && t.shape[2] === 1,
      'BAD_SHAPE',
      () => `${prefix}${name} must be [${B}, ${steps}, 1], got ${shapeString(t.shape)}`,
    );
  const rtgs = need('rtgs');
  const timesteps = need('timesteps');
  expectBT1('rtgs', rtgs, T);
  expectBT1('timesteps', timesteps, T);
  const actionsRaw = tensors.get(`${prefix}actions`);
  if (actionsRaw) expectBT1('actions', actionsRaw, actionsRaw.shape[1]);
  const toInts = (t: RawTensor, name: string, min?: number): Int32Array =>
    toInt32Checked(t, `${prefix}${name}`, min);
  return {
    states: new Tensor(toFloat32(states), states.shape),
    actions: actionsRaw ? toInts(actionsRaw, 'actions') : null,
    rtgs: toFloat32(rtgs),
    timesteps: toInts(timesteps, 'timesteps', 0),
  };
}

/**
 * The inverse of `inputsFromTensors`: a batch of windows as `<prefix>states [B,T,X,Y,C]` (F32),
 * `<prefix>rtgs [B,T,1]` (F32), `<prefix>timesteps [B,T,1]` (I64) and, unless `inputs.actions` is
 * null, `<prefix>actions [B,Ta,1]` (I64), the layout `dtlens forward` and `analyze` read.
 */
export function inputsToTensors(inputs: DTInputs, prefix = 'inputs.'): Record<string, RawTensor> {
  const [B, T] = inputs.states.shape;
  const ints = (v: ArrayLike<number>) => BigInt64Array.from(v, (x) => BigInt(x));
  const out: Record<string, RawTensor> = {
    [`${prefix}states`]: { dtype: 'F32', shape: [...inputs.states.shape], data: inputs.states.data },
    [`${prefix}rtgs`]: { dtype: 'F32', shape: [B, T, 1], data: Float32Array.from(inputs.rtgs) },
    [`${prefix}timesteps`]: { dtype: 'I64', shape: [B, T, 1], data: ints(inputs.timesteps) },
  };
  if (inputs.actions)
    out[`${prefix}actions`] = {
      dtype: 'I64',
      shape: [B, inputs.actions.length / B, 1],
      data: ints(inputs.actions),
    };
  return out;
}

/** Window `i` of a batch of inputs, as a batch of one. */
export function selectWindow(inputs: DTInputs, i: number, what = 'window'): DTInputs {
  const B = inputs.states.shape[0];
  check(
    Number.isInteger(i) && i >= 0 && i < B,
    'BAD_INPUT',
    `${what} ${i} is outside the ${B} window(s) of the input`,
  );
  return sliceWindows(inputs, i, i + 1);
}

/** Windows start..end-1 of a batch of inputs (copies). */
export function sliceWindows(inputs: DTInputs, start: number, end: number): DTInputs {
  const B = inputs.states.shape[0];
  check(
    0 <= start && start < end && end <= B,
    'BAD_INPUT',
    `windows ${start}..${end - 1} are outside 0..${B - 1}`,
  );
  return windowsAt(
    inputs,
    Array.from({ length: end - start }, (_, i) => start + i),
  );
}

/** Windows `ids` (in that order, each in range) of a batch of inputs, as a new batch (copies). */
export function windowsAt(inputs: DTInputs, ids: readonly number[]): DTInputs {
  const [B, T, ...obs] = inputs.states.shape;
  const perState = inputs.states.size / B;
  const Ta = inputs.actions ? inputs.actions.length / B : 0;
  const gather = <A extends Float32Array | Int32Array>(src: A, per: number, out: A): A => {
    ids.forEach((w, i) => out.set(src.subarray(w * per, (w + 1) * per), i * per));
    return out;
  };
  const n = ids.length;
  const { actions, timesteps } = inputs;
  return {
    states: new Tensor(gather(inputs.states.data, perState, new Float32Array(n * perState)), [n, T, ...obs]),
    actions: actions ? gather(actions, Ta, new Int32Array(n * Ta)) : null,
    rtgs: gather(inputs.rtgs, T, new Float32Array(n * T)),
    timesteps:
      timesteps instanceof Int32Array
        ? gather(timesteps, T, new Int32Array(n * T))
        : gather(timesteps, T, new Float32Array(n * T)),
  };
}

/** A batch of `n` copies of a one-window input (rows to vary for a scan). */
export function repeatWindow(window: DTInputs, n: number): DTInputs {
  const [B, T, ...obs] = window.states.shape;
  check(B === 1, 'BAD_SHAPE', `expected one window, got a batch of ${B}`);
  const tile = <A extends Float32Array | Int32Array>(a: A, make: (len: number) => A): A => {
    const out = make(a.length * n);
    for (let r = 0; r < n; r++) out.set(a, r * a.length);
    return out;
  };
  return {
    states: new Tensor(
      tile(window.states.data, (k) => new Float32Array(k)),
      [n, T, ...obs],
    ),
    actions: window.actions && tile(window.actions, (k) => new Int32Array(k)),
    rtgs: tile(window.rtgs, (k) => new Float32Array(k)),
    timesteps:
      window.timesteps instanceof Int32Array
        ? tile(window.timesteps, (k) => new Int32Array(k))
        : tile(window.timesteps, (k) => new Float32Array(k)),
  };
}
