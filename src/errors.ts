/**
 * Typed errors of dtlens. Every failure caused by user input (files, shapes, options) is a
 * `DtlensError` with a machine-readable `code` and a message a user can act on.
 */
export type ErrorCode =
  | 'BAD_ARCHIVE' // zip container unreadable, truncated or hostile
  | 'UNSAFE_PICKLE' // pickle references a global outside the allowlist
  | 'BAD_PICKLE' // pickle stream malformed or truncated
  | 'BAD_SAFETENSORS' // safetensors header or data malformed
  | 'BAD_CHECKPOINT' // container readable, but not a DT checkpoint we understand (missing keys, ...)
  | 'BAD_CONFIG' // config values missing, of the wrong type, NaN or out of range
  | 'BAD_SHAPE' // tensor shapes inconsistent with the model or the operation
  | 'BAD_INPUT' // other invalid arguments (out-of-range values, unknown names)
  | 'BAD_ENV' // unknown environment id or invalid environment options
  | 'BAD_DATASET' // trajectory/dataset file malformed
  | 'UNSUPPORTED' // valid input that this version of dtlens does not handle
  | 'CANCELLED'; // a long job stopped by its AbortSignal

export class DtlensError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DtlensError';
  }
}

/** Throws a `DtlensError` with `code` unless `condition` holds. */
export function check(
  condition: unknown,
  code: ErrorCode,
  message: string | (() => string),
): asserts condition {
  if (!condition) throw new DtlensError(code, typeof message === 'function' ? message() : message);
}
