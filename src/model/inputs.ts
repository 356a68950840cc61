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
