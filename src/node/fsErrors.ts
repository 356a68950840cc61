/**
 * File-system errors as one-line typed messages (`cannot write out.json: it is a directory`) instead of
 * Node's raw `EISDIR: illegal operation on a directory, open 'out.json'`.
 */
import { writeFileSync } from 'node:fs';
import { DtlensError } from '../errors.ts';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EFBIG: 'the file is too large',
  EBUSY: 'the file is busy',
};

/** `true` for Node's system errors (they carry an `errno` code like `ENOENT`). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'errno' in e;
}

/** A typed `BAD_INPUT` error: `cannot <action> <what>: <reason> (<path>)`. */
export function fsError(e: NodeJS.ErrnoException, action: string, what: string, path = e.path): DtlensError {
  const reason = REASONS[e.code ?? ''] ?? e.code ?? 'unknown error';
  return new DtlensError('BAD_INPUT', `cannot ${action} ${what}: ${reason}${path ? ` (${path})` : ''}`);
}

/** `writeFileSync` whose failures are typed one-line errors naming the file. */
export function writeOutputFile(path: string, data: Uint8Array | string, what = 'output file'): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw isFsError(e) ? fsError(e, 'write', what, path) : e;
  }
}
