/**
 * `.xz` decompression via the `xz-decompress` WebAssembly decoder (works in Node and browsers, no native
 * code). Output is capped so a hostile file cannot exhaust memory.
 */
import * as xzModule from 'xz-decompress';
import { DtlensError } from '../errors.ts';
import { concatBytes } from './inflate.ts';
import { MAX_DECOMPRESSED_BYTES } from './limits.ts';

type XzStreamCtor = typeof xzModule.XzReadableStream;
// The package is a UMD bundle: under Node's ESM loader its exports sit on `default`.
const XzReadableStream: XzStreamCtor =
  xzModule.XzReadableStream ??
  (xzModule as unknown as { default: { XzReadableStream: XzStreamCtor } }).default.XzReadableStream;

/** `true` for the xz magic bytes `FD 37 7A 58 5A 00`. */
export function isXz(bytes: Uint8Array): boolean {
  const magic = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
  return bytes.length >= 6 && magic.every((b, i) => bytes[i] === b);
}

/** Decompresses a complete `.xz` file. Throws `BAD_DATASET` on corrupt or oversized input. */
export async function xzDecompress(
  bytes: Uint8Array,
  maxBytes = MAX_DECOMPRESSED_BYTES,
): Promise<Uint8Array> {
  if (!isXz(bytes)) throw new DtlensError('BAD_DATASET', 'not an xz file (bad magic bytes)');
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    const reader = new XzReadableStream(input).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new DtlensError('BAD_DATASET', `xz data expands beyond ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw new DtlensError('BAD_DATASET', `corrupt xz data (${(e as Error)?.message ?? String(e)})`);
  }
  return concatBytes(chunks, total);
}
