/**
 * Reading input files from disk (Node only): a missing or unreadable file is a typed error, and the
 * loaders' own errors name the file: `<what> (<file>)`.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { DtlensError } from '../errors.ts';
import { type Checkpoint, type LoadOptions, loadCheckpoint } from '../io/checkpoint.ts';
import { fsError, isFsError } from './fsErrors.ts';

/** Largest model file dtlens reads (DT checkpoints are a few MB). */
export const MAX_MODEL_FILE_BYTES = 2 * 1024 ** 3;

export function readFileChecked(path: string, what: string, maxBytes = MAX_MODEL_FILE_BYTES): Uint8Array {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DtlensError('BAD_INPUT', `cannot read ${what}: it is not a file (${path})`);
    if (st.size > maxBytes)
      throw new DtlensError(
        'BAD_INPUT',
        `${what} is ${st.size} bytes, more than the ${maxBytes} dtlens reads (${path})`,
      );
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw isFsError(e) ? fsError(e, 'read', what, path) : e;
  }
}

/** Typed errors get the file appended (`<message> (<path>)`); anything else passes unchanged. */
export function nameFile(e: unknown, path: string): unknown {
  return e instanceof DtlensError ? new DtlensError(e.code, `${e.message} (${path})`) : e;
}

/** Reads `path` and parses it; typed errors of `parse` name the file. */
export function loadFileWith<T>(path: string, what: string, parse: (bytes: Uint8Array) => T): T {
  const bytes = readFileChecked(path, what);
  try {
    return parse(bytes);
  } catch (e) {
    throw nameFile(e, path);
  }
}

/** How the CLI loads models; `--allow-non-finite-weights` sets `allowNonFiniteWeights` for the run. */
const modelLoadOptions: LoadOptions = {};

/** Sets the load options of every later `readModelFile` in this process (the CLI's global flags). */
export function configureModelLoading(options: LoadOptions): void {
  Object.assign(modelLoadOptions, options);
}

/** Loads a checkpoint (.pt or .safetensors); loader errors name the file. */
export function readModelFile(path: string, options: LoadOptions = modelLoadOptions): Checkpoint {
  return loadFileWith(path, 'model file', (bytes) => loadCheckpoint(bytes, basename(path), options));
}
