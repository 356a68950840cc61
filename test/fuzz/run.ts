/**
 * Runs one fuzz case: loads the bytes as their target would be loaded by the CLI and the app, and
 * classifies the result as a typed error, a load identical to the unmutated file's, a changed load (only
 * legitimate for formats without checksums, and still fully validated), or a failure (untyped error).
 */
import { DtlensError } from '../../src/errors.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { crc32 } from '../../src/io/crc32.ts';
import { readDtiTrajectories, splitTrajectories } from '../../src/io/dtiTrajectories.ts';
import { bytesOf, type RawTensor } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { inputsFromTensors } from '../../src/model/inputs.ts';
import type { Target } from './bases.ts';

const tensorDigest = (t: RawTensor) => `${t.dtype}[${t.shape.join(',')}]:${crc32(bytesOf(t.data))}`;
const arrayDigest = (a: ArrayBufferView) =>
  crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).toString(16);

/** Loads `bytes` as `target` and returns a digest of everything loaded (configs, names, shapes, values). */
export async function loadTarget(target: Target, bytes: Uint8Array): Promise<string> {
  if (target === 'checkpoint') {
    const c = loadCheckpoint(bytes);
    const weights = [...c.weights].map(([n, t]) => `${n}=${tensorDigest(t)}`);
    return JSON.stringify([c.format, c.model, c.env, c.nActions, c.obsShape, c.legacy, c.offline, weights]);
  }
  if (target === 'inputs') {
    const x = inputsFromTensors(readSafetensors(bytes).tensors);
    return JSON.stringify([
      x.states.shape,
      arrayDigest(x.states.data),
      x.actions && arrayDigest(x.actions),
      arrayDigest(x.rtgs),
      arrayDigest(x.timesteps),
    ]);
  }
  const file = await readDtiTrajectories(bytes);
  const episodes = splitTrajectories(file).map((e) =>
    [
      e.env,
      e.startStep,
      e.length,
      arrayDigest(e.observations),
      arrayDigest(e.actions),
      arrayDigest(e.rewards),
    ].join(':'),
  );
  return JSON.stringify([file.obsShape, file.nSteps, file.nEnvs, file.metadata, episodes]);
}

export type Outcome = 'typed-error' | 'identical' | 'changed' | 'untyped-error';

export interface CaseResult {
  outcome: Outcome;
  ms: number;
  /** Error code (typed) or message (untyped). */
  detail?: string;
}

export async function runCase(target: Target, bytes: Uint8Array, baseline?: string): Promise<CaseResult> {
  const start = performance.now();
  try {
    const digest = await loadTarget(target, bytes);
    return { outcome: digest === baseline ? 'identical' : 'changed', ms: performance.now() - start };
  } catch (e) {
    const ms = performance.now() - start;
    if (e instanceof DtlensError) return { outcome: 'typed-error', ms, detail: e.code };
    return {
      outcome: 'untyped-error',
      ms,
      detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    };
  }
}
