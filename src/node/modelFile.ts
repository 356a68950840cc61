/**
 * Reading model files from disk (Node only): a missing or unreadable file is a typed error, and
 * the loader's own errors name the file.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { DtlensError } from '../errors.ts';
import { type Checkpoint, loadCheckpoint } from '../io/checkpoint.ts';

/** Largest model file dtlens reads (DT checkpoints are a few MB). */
export const MAX_MODEL_FILE_BYTES = 2 * 1024 ** 3;

export function readFileChecked(path: string, what: string, maxBytes = MAX_MODEL_FILE_BYTES): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DtlensError('BAD_INPUT', `${what} ${path} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw new DtlensError(
      'BAD_INPUT',
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  if (size > maxBytes)
    throw new DtlensError(
      'BAD_INPUT',
      `${what} ${path} is ${size} bytes, more than the ${maxBytes} dtlens reads`,
    );
  return new Uint8Array(readFileSync(path));
}

/** Loads a checkpoint (.pt or .safetensors); loader errors are prefixed with the file name. */
export function readModelFile(path: string): Checkpoint {
  const bytes = readFileChecked(path, 'model file');
  try {
    return loadCheckpoint(bytes, basename(path));
  } catch (e) {
    if (e instanceof DtlensError) throw new DtlensError(e.code, `${basename(path)}: ${e.message}`);
    throw e;
  }
}
