/**
 * Bounded DEFLATE and gzip decompression (fflate's streaming inflater fed in small chunks): output is
 * counted as it is produced and decoding stops at the first byte over the limit, so a bomb costs at most
 * the limit plus one chunk's expansion, whatever sizes the file declares.
 */
import { Inflate } from 'fflate';
import { DtlensError, type ErrorCode } from '../errors.ts';
import { crc32 } from './crc32.ts';

/** Compressed bytes fed per step: at most ~4 MiB of output per step (deflate expands at most 1032x). */
const CHUNK = 4096;

/** Joins chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Inflates raw DEFLATE data to at most `maxBytes` bytes. Throws `code` with `what` in the message when the
 * output would exceed `maxBytes` or the data is corrupt or truncated.
 */
export function inflateBounded(
  data: Uint8Array,
  maxBytes: number,
  code: ErrorCode,
  what: string,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) throw new DtlensError(code, `${what} inflates beyond ${maxBytes} bytes`);
    chunks.push(chunk);
    finished = final;
  });
  try {
    for (let i = 0; i < data.length || i === 0; i += CHUNK) {
      const end = Math.min(data.length, i + CHUNK);
      inflater.push(data.subarray(i, end), end === data.length);
      if (end === data.length) break;
    }
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw new DtlensError(code, `${what} has corrupt deflate data (${(e as Error).message})`);
  }
  if (!finished) throw new DtlensError(code, `${what} has truncated deflate data`);
  return concatBytes(chunks, total);
}

const FLAG_HCRC = 2;
const FLAG_EXTRA = 4;
const FLAG_NAME = 8;
const FLAG_COMMENT = 16;

/**
 * Decompresses a single-member gzip file to at most `maxBytes` bytes, checking the trailer's CRC-32 and
 * size against the output (the declared size is never trusted for allocation).
 */
export function gunzipBounded(bytes: Uint8Array, maxBytes: number, code: ErrorCode): Uint8Array {
  const bad = (message: string) => new DtlensError(code, `corrupt gzip data: ${message}`);
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw bad('truncated or not gzip');
  if (bytes[2] !== 8) throw bad(`compression method ${bytes[2]} is not deflate`);
  const flags = bytes[3];
  let pos = 10;
  if (flags & FLAG_EXTRA) pos += 2 + (bytes[pos] | (bytes[pos + 1] << 8));
  for (const flag of [FLAG_NAME, FLAG_COMMENT])
    if (flags & flag) {
      while (pos < bytes.length && bytes[pos] !== 0) pos++;
      pos++;
    }
  if (flags & FLAG_HCRC) pos += 2;
  if (pos > bytes.length - 8) throw bad('header runs past the end');
  const out = inflateBounded(bytes.subarray(pos, bytes.length - 8), maxBytes, code, 'gzip data');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = dv.getUint32(bytes.length - 8, true);
  const size = dv.getUint32(bytes.length - 4, true);
  if (size !== out.length % 2 ** 32)
    throw bad(`trailer declares ${size} bytes, the data holds ${out.length}`);
  if (crc !== crc32(out)) throw bad('CRC-32 mismatch');
  return out;
}
