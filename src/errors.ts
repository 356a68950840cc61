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
  | 'CANCELLED' // a long job stopped by its AbortSignal
  | 'NON_FINITE'; // a model produced NaN or infinite outputs

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

/**
 * Text safe to print on one terminal line: control characters (C0, DEL, C1), line and paragraph
 * separators and bidirectional overrides become `\xNN` / `\u{NNNN}` escapes, so a tensor name from a
 * hostile file cannot move the cursor, rewrite the line or reorder what follows.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}
