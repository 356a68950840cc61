/** Assertions on typed errors, shared by the loader tests. */
import { expect } from 'vitest';
import { DtlensError } from '../../src/errors.ts';

/** `fn` throws a `DtlensError` with `code` (and a message matching `pattern`). */
export function expectDtlensError(fn: () => unknown, code: string, pattern?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DtlensError);
    expect((e as DtlensError).code).toBe(code);
    if (pattern) expect((e as DtlensError).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected a DtlensError ${code}`);
}

/** A safetensors file from raw header text and data bytes (for malformed headers). */
export function rawSafetensors(headerText: string, data: Uint8Array | number[] = []): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
