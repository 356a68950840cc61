import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { crc32 } from '../../../src/io/crc32.ts';
import { readZipEntries, zipLimits } from '../../../src/io/zip.ts';
import { writeZip } from '../../support/zipWriter.ts';

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

const patchU32 = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, value, true);
  return out;
};

describe('crc32', () => {
  it('matches the standard check value and continues across chunks', () => {
    const text = new TextEncoder().encode('123456789');
    expect(crc32(text)).toBe(0xcbf43926);
    expect(crc32(text.subarray(4), crc32(text.subarray(0, 4)))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('equals the bit-by-bit definition for every length and alignment up to 40 bytes', () => {
    const bitwise = (bytes: Uint8Array) => {
      let c = 0xffffffff;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const data = Uint8Array.from({ length: 48 }, (_, i) => (i * 97 + 13) & 0xff);
    for (let start = 0; start < 8; start++)
      for (let n = 0; n <= 40; n++) {
        const bytes = data.subarray(start, start + n);
        expect(crc32(bytes), `${start}+${n}`).toBe(bitwise(bytes));
      }
  });
});

describe('readZipEntries', () => {
  const payload = new TextEncoder().encode('hello torch '.repeat(100));

  it('reads stored and deflated entries (fflate and our writer agree)', () => {
    const entries = readZipEntries(zipSync({ 'a/x': payload, 'a/y': [payload, { level: 9 }] }, { level: 0 }));
    expect(entries.get('a/x')).toEqual(payload);
    expect(entries.get('a/y')).toEqual(payload);
    const ours = readZipEntries(writeZip([{ name: '__proto__', data: payload, deflate: true }]).bytes);
    expect([...ours.keys()]).toEqual(['__proto__']);
    expect(ours.get('__proto__')).toEqual(payload);
  });

  it('refuses archives declaring more than the size budget before inflating anything', () => {
    const zip = zipSync({ a: payload, b: [payload, { level: 9 }] }, { level: 0 });
    const limits = (maxTotalBytes: number) => ({ ...zipLimits(zip.length), maxTotalBytes });
    expect(() => readZipEntries(zip, limits(2 * payload.length))).not.toThrow();
    expectArchiveError(() => readZipEntries(zip, limits(2 * payload.length - 1)), /limit of .* uncompressed/);
    // Default budget: 16 x the file plus 64 MiB. A 4 GiB declaration in a tiny file is refused at once.
    const { bytes, centrals } = writeZip([{ name: 'bomb', data: payload, deflate: true }]);
    expectArchiveError(() => readZipEntries(patchU32(bytes, centrals[0] + 24, 0xfffffff0)), /uncompressed/);
  });

  it('refuses too many entries', () => {
    const specs = Array.from({ length: 5 }, (_, i) => ({ name: `e${i}`, data: payload }));
    const zip = writeZip(specs).bytes;
    expect(readZipEntries(zip).size).toBe(5);
    expectArchiveError(() => readZipEntries(zip, { ...zipLimits(zip.length), maxEntries: 4 }), /5 entries/);
  });

  it('refuses central records sharing one local entry (the 244 KB -> 4 GB bomb)', () => {
    const big = new Uint8Array(1 << 20);
    const shared = writeZip([{ name: 'x', data: big, deflate: true }], [{ entry: 0 }, { entry: 0 }]);
    expectArchiveError(() => readZipEntries(shared.bytes), /overlap/);
    const renamed = writeZip(
      [{ name: 'x', data: big, deflate: true }],
      [{ entry: 0 }, { entry: 0, name: 'y' }],
    );
    expectArchiveError(() => readZipEntries(renamed.bytes), /local header name differs/);
  });

  it('refuses a deflate stream that inflates beyond its declared size (bomb under any ratio check)', () => {
    const big = new Uint8Array(4 << 20);
    const { bytes, centrals, locals } = writeZip([{ name: 'x', data: big, deflate: true }]);
    // Both headers declare 1000 bytes: inflation stops at byte 1001.
    const lied = patchU32(patchU32(bytes, centrals[0] + 24, 1000), locals[0] + 22, 1000);
    expectArchiveError(() => readZipEntries(lied), /inflates beyond 1000 bytes/);
  });

  it('refuses a local header that disagrees with the central directory', () => {
    const { bytes, locals } = writeZip([
      { name: 'a', data: payload },
      { name: 'b', data: payload },
    ]);
    // Local name length + 1 would shift the data by one byte.
    const shifted = bytes.slice();
    new DataView(shifted.buffer).setUint16(locals[1] + 26, 2, true);
    expectArchiveError(() => readZipEntries(shifted), /local header name differs/);
    expectArchiveError(
      () => readZipEntries(patchU32(bytes, locals[0] + 18, payload.length - 1)),
      /CRC or sizes/,
    );
    expectArchiveError(() => readZipEntries(patchU32(bytes, locals[0] + 14, 0)), /CRC or sizes/);
  });

  it('checks the CRC-32 of every entry: one flipped data byte is refused', () => {
    const { bytes, dataStarts } = writeZip([{ name: 'a', data: payload }]);
    const flipped = bytes.slice();
    flipped[dataStarts[0] + 17] ^= 1;
    expectArchiveError(() => readZipEntries(flipped), /CRC-32/);
  });

  it('gives BAD_ARCHIVE for truncation and garbage', () => {
    const zip = zipSync({ a: payload }, { level: 0 });
    for (let cut = 0; cut < zip.length; cut += 13)
      expectArchiveError(() => readZipEntries(zip.subarray(0, cut)));
    expectArchiveError(() => readZipEntries(new TextEncoder().encode('PK\u0003\u0004garbage')));
  });
});
