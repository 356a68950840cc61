/**
 * Seeded byte-level mutations (bit flips, interesting values, inserted, deleted, duplicated and truncated
 * ranges) and structure-aware ones: the pickle inside a torch archive or a gzip file is mutated and the
 * container rebuilt with valid checksums, so the pickle parser is exercised and not only the CRC check.
 */
import { gunzipSync, gzipSync } from 'fflate';
import { concatBytes } from '../../src/io/inflate.ts';
import { readZipEntries } from '../../src/io/zip.ts';
import { seededRandom } from '../support/randomModel.ts';
import { writeZip } from '../support/zipWriter.ts';

export type Rng = () => number;

const concat = (...parts: Uint8Array[]) =>
  concatBytes(
    parts,
    parts.reduce((a, p) => a + p.length, 0),
  );
export const makeRng = seededRandom;

const INTERESTING_U8 = [0, 1, 0x7f, 0x80, 0xff, 0x28, 0x2e, 0x5d, 0x7d, 0x8a, 0x8b, 0x94, 0x22, 0x5b, 0x7b];
const INTERESTING_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x3fffffff];

const int = (rng: Rng, n: number) => Math.floor(rng() * n);

/** One random byte-level mutation of `bytes` (never in place). */
export function mutateBytes(bytes: Uint8Array, rng: Rng): Uint8Array {
  const n = bytes.length;
  const at = int(rng, Math.max(1, n));
  const out = bytes.slice();
  switch (int(rng, 8)) {
    case 0: // flip one bit
      out[at] ^= 1 << int(rng, 8);
      return out;
    case 1: // one interesting byte
      out[at] = INTERESTING_U8[int(rng, INTERESTING_U8.length)];
      return out;
    case 2: {
      // an interesting 32-bit little-endian value
      if (n < 4) return out;
      const v = INTERESTING_U32[int(rng, INTERESTING_U32.length)];
      new DataView(out.buffer).setUint32(Math.min(at, n - 4), v, true);
      return out;
    }
    case 3: {
      // insert 1-16 random bytes
      const k = 1 + int(rng, 16);
      const ins = Uint8Array.from({ length: k }, () => int(rng, 256));
      return concat(bytes.subarray(0, at), ins, bytes.subarray(at));
    }
    case 4: // delete a range
      return concat(bytes.subarray(0, at), bytes.subarray(Math.min(n, at + 1 + int(rng, 64))));
    case 5: {
      // duplicate a range
      const end = Math.min(n, at + 1 + int(rng, 256));
      return concat(bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end));
    }
    case 6: // truncate
      return bytes.slice(0, at);
    default: {
      // a random byte somewhere in the first 512 bytes (headers)
      out[int(rng, Math.min(n, 512))] = int(rng, 256);
      return out;
    }
  }
}

/** Mutates the `data.pkl` of a torch archive and rebuilds the zip with correct CRCs. */
export function mutateTorchPickle(archive: Uint8Array, rng: Rng): Uint8Array {
  const entries = readZipEntries(archive);
  const specs = [...entries].map(([name, data]) => ({
    name,
    data: name.endsWith('data.pkl') ? mutateBytes(data, rng) : data,
  }));
  return writeZip(specs).bytes;
}

/** Mutates the pickle inside a gzip file and re-compresses it. */
export function mutateGzipPayload(gz: Uint8Array, rng: Rng): Uint8Array {
  return gzipSync(mutateBytes(gunzipSync(gz), rng));
}

export interface Mutation {
  bytes: Uint8Array;
  /** The mutation went inside a checksum (rebuilt container): a changed load is then legitimate. */
  insideChecksum: boolean;
}

/** Picks a mutation suited to the base: structure-aware ones for containers with checksums, half the time. */
export function mutate(bytes: Uint8Array, rng: Rng): Mutation {
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  const isGzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (isZip && rng() < 0.5) return { bytes: mutateTorchPickle(bytes, rng), insideChecksum: true };
  if (isGzip && rng() < 0.5) return { bytes: mutateGzipPayload(bytes, rng), insideChecksum: true };
  let out = bytes;
  for (let i = 1 + int(rng, 3); i > 0; i--) out = mutateBytes(out, rng);
  return { bytes: out, insideChecksum: false };
}
