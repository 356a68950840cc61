import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { readZipEntries } from '../../../src/io/zip.ts';

/** Overwrites the uncompressed-size field of every central-directory record. */
function patchDeclaredSizes(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const dv = new DataView(out.buffer);
  for (let i = 0; i + 46 <= out.length; i++)
    if (dv.getUint32(i, true) === 0x02014b50) dv.setUint32(i + 24, size, true);
  return out;
}

function expectArchiveError(fn: () => unknown, pattern?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DtlensError);
    expect((e as DtlensError).code).toBe('BAD_ARCHIVE');
    if (pattern) expect((e as DtlensError).message).toMatch(pattern);
    return;
  }
  throw new Error('expected BAD_ARCHIVE');
}

describe('readZipEntries', () => {
  const payload = new TextEncoder().encode('hello torch '.repeat(100));

  it('reads stored and deflated entries', () => {
    const entries = readZipEntries(zipSync({ 'a/x': payload, 'a/y': [payload, { level: 9 }] }, { level: 0 }));
    expect(entries['a/x']).toEqual(payload);
    expect(entries['a/y']).toEqual(payload);
  });

  it('refuses archives declaring more than the size limit before inflating anything', () => {
    const zip = zipSync({ a: payload, b: [payload, { level: 9 }] }, { level: 0 });
    expect(() => readZipEntries(zip, 2 * payload.length)).not.toThrow();
    expectArchiveError(() => readZipEntries(zip, 2 * payload.length - 1), /more than/);
  });

  it('refuses absurd compression ratios (zip bombs)', () => {
    const zip = zipSync({ bomb: [payload, { level: 9 }] });
    expectArchiveError(() => readZipEntries(patchDeclaredSizes(zip, 0x10000000)), /ratio/);
  });

  it('gives BAD_ARCHIVE for stored entries whose sizes disagree, truncation and garbage', () => {
    const zip = zipSync({ a: payload }, { level: 0 });
    expectArchiveError(() => readZipEntries(patchDeclaredSizes(zip, payload.length + 5)));
    for (let cut = 0; cut < zip.length; cut += 13)
      expectArchiveError(() => readZipEntries(zip.subarray(0, cut)));
    expectArchiveError(() => readZipEntries(new TextEncoder().encode('PK\u0003\u0004garbage')));
  });
});
