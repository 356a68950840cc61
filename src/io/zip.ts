/**
 * Zip reading for torch `.pt` archives, strict like Python's zipfile and bounded before anything is
 * inflated: the central directory (zip64 included) is parsed first; every entry's local header must agree
 * with it (name, method, sizes, CRC); no two entries may overlap (a shared local entry would let a tiny
 * file declare gigabytes); entry count and total uncompressed size are budgeted; every entry's CRC-32 is
 * checked. Every failure is `BAD_ARCHIVE`.
 */
import { DtlensError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { inflateBounded } from './inflate.ts';
import { MAX_ENTRIES, MAX_ZIP_TOTAL_BYTES, ZIP_EXPANSION_FACTOR, derivedBudget } from './limits.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const EOCD_SIZE = 22;
const U32_MAX = 0xffffffff;
const FLAG_ENCRYPTED = 1;
const FLAG_DATA_DESCRIPTOR = 8;

export interface ZipLimits {
  /** Most entries accepted. */
  maxEntries: number;
  /** Most total uncompressed bytes accepted (default: a multiple of the file size, capped). */
  maxTotalBytes: number;
}

/** The default budget for an archive of `fileBytes` bytes. */
export function zipLimits(fileBytes: number): ZipLimits {
  return {
    maxEntries: MAX_ENTRIES,
    maxTotalBytes: derivedBudget(fileBytes, ZIP_EXPANSION_FACTOR, MAX_ZIP_TOTAL_BYTES),
  };
}

const bad = (message: string) => new DtlensError('BAD_ARCHIVE', `invalid zip archive: ${message}`);

/** `true` when the bytes start with a zip local-file or end-of-central-directory signature. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

interface CentralEntry {
  name: string;
  nameBytes: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

class View {
  readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  has(at: number, n: number): boolean {
    return at >= 0 && n >= 0 && at + n <= this.bytes.length;
  }
  need(at: number, n: number, what: string): void {
    if (!this.has(at, n)) throw bad(`${what} at offset ${at} runs past the end of the file`);
  }
  u16 = (at: number) => this.dv.getUint16(at, true);
  u32 = (at: number) => this.dv.getUint32(at, true);
  u64(at: number, what: string): number {
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${what} ${v} is out of range`);
    return Number(v);
  }
}

/** The zip64 extended-information extra field, replacing the 0xFFFFFFFF fields in order. */
function zip64Fields(v: View, extraStart: number, extraLength: number, wanted: boolean[]): number[] {
  const out: number[] = [];
  for (let p = extraStart; p + 4 <= extraStart + extraLength;) {
    const id = v.u16(p);
    const size = v.u16(p + 2);
    if (p + 4 + size > extraStart + extraLength) throw bad('extra field runs past its record');
    if (id === 0x0001) {
      let q = p + 4;
      for (const w of wanted) {
        if (!w) continue;
        if (q + 8 > p + 4 + size) throw bad('zip64 extra field is too short');
        out.push(v.u64(q, 'zip64 value'));
        q += 8;
      }
      return out;
    }
    p += 4 + size;
  }
  if (wanted.some((w) => w)) throw bad('a 0xFFFFFFFF size has no zip64 extra field');
  return out;
}

/** Offset and entry count of the central directory (from the zip64 record when present). */
function findCentralDirectory(v: View): { offset: number; size: number; count: number; end: number } {
  const { bytes } = v;
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - 0xffff);
  let eocd = -1;
  for (let i = bytes.length - EOCD_SIZE; i >= lowest; i--)
    if (v.u32(i) === SIG_EOCD && i + EOCD_SIZE + v.u16(i + 20) === bytes.length) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw bad('no end-of-central-directory record (truncated or not a zip file)');
  if (v.u16(eocd + 4) !== 0 || v.u16(eocd + 6) !== 0) throw bad('multi-disk archives are not supported');
  let count = v.u16(eocd + 10);
  let size = v.u32(eocd + 12);
  let offset = v.u32(eocd + 16);
  let end = eocd;
  const locator = eocd - 20;
  if (locator >= 0 && v.u32(locator) === SIG_EOCD64_LOCATOR) {
    const at = v.u64(locator + 8, 'zip64 end record offset');
    v.need(at, 56, 'zip64 end-of-central-directory record');
    if (v.u32(at) !== SIG_EOCD64) throw bad('zip64 locator does not point at a zip64 end record');
    count = v.u64(at + 32, 'zip64 entry count');
    size = v.u64(at + 40, 'zip64 central directory size');
    offset = v.u64(at + 48, 'zip64 central directory offset');
    end = at;
  }
  if (offset + size !== end) throw bad('central directory does not end where the end record begins');
  return { offset, size, count, end };
}

function readCentralDirectory(v: View, limits: ZipLimits): { entries: CentralEntry[]; cdStart: number } {
  const cd = findCentralDirectory(v);
  if (cd.count > limits.maxEntries)
    throw bad(`${cd.count} entries is more than the limit of ${limits.maxEntries}`);
  if (cd.count * CENTRAL_SIZE > cd.size) throw bad(`central directory too small for ${cd.count} entries`);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const entries: CentralEntry[] = [];
  let p = cd.offset;
  let total = 0;
  for (let i = 0; i < cd.count; i++) {
    v.need(p, CENTRAL_SIZE, 'central directory record');
    if (v.u32(p) !== SIG_CENTRAL) throw bad(`central directory record ${i} has a bad signature`);
    const nameLength = v.u16(p + 28);
    const extraLength = v.u16(p + 30);
    const recordEnd = p + CENTRAL_SIZE + nameLength + extraLength + v.u16(p + 32);
    if (recordEnd > cd.offset + cd.size) throw bad(`central directory record ${i} runs past the directory`);
    const nameBytes = v.bytes.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLength);
    let name: string;
    try {
      name = utf8.decode(nameBytes);
    } catch {
      throw bad(`entry name ${i} is not valid UTF-8`);
    }
    let compressedSize = v.u32(p + 20);
    let size = v.u32(p + 24);
    let localOffset = v.u32(p + 42);
    const wide = [size === U32_MAX, compressedSize === U32_MAX, localOffset === U32_MAX];
    const values = zip64Fields(v, p + CENTRAL_SIZE + nameLength, extraLength, wide);
    if (wide[0]) size = values.shift() as number;
    if (wide[1]) compressedSize = values.shift() as number;
    if (wide[2]) localOffset = values.shift() as number;
    const entry: CentralEntry = {
      name,
      nameBytes,
      flags: v.u16(p + 8),
      method: v.u16(p + 10),
      crc: v.u32(p + 16),
      compressedSize,
      size,
      localOffset,
    };
    if (entry.flags & FLAG_ENCRYPTED) throw bad(`entry ${name} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8)
      throw bad(`entry ${name} uses compression method ${entry.method} (only stored and deflate)`);
    if (entry.method === 0 && size !== compressedSize)
      throw bad(`stored entry ${name} has inconsistent sizes`);
    total += size;
    if (total > limits.maxTotalBytes)
      throw bad(`entries declare more than the limit of ${limits.maxTotalBytes} uncompressed bytes`);
    entries.push(entry);
    p = recordEnd;
  }
  if (p !== cd.offset + cd.size) throw bad('central directory size does not match its records');
  return { entries, cdStart: cd.offset };
}

/** Start of an entry's data, after checking its local header against the central directory. */
function localDataStart(v: View, e: CentralEntry): number {
  const p = e.localOffset;
  v.need(p, LOCAL_SIZE, `local header of ${e.name}`);
  if (v.u32(p) !== SIG_LOCAL) throw bad(`local header of ${e.name} has a bad signature`);
  const nameLength = v.u16(p + 26);
  const extraLength = v.u16(p + 28);
  v.need(p + LOCAL_SIZE, nameLength + extraLength, `local header of ${e.name}`);
  const name = v.bytes.subarray(p + LOCAL_SIZE, p + LOCAL_SIZE + nameLength);
  if (name.length !== e.nameBytes.length || name.some((b, i) => b !== e.nameBytes[i]))
    throw bad(`local header name differs from the central directory entry ${e.name}`);
  const flags = v.u16(p + 6);
  if (v.u16(p + 8) !== e.method || (flags & FLAG_DATA_DESCRIPTOR) !== (e.flags & FLAG_DATA_DESCRIPTOR))
    throw bad(`local header of ${e.name} disagrees with the central directory (method or flags)`);
  if (!(flags & FLAG_DATA_DESCRIPTOR)) {
    let compressedSize = v.u32(p + 18);
    let size = v.u32(p + 22);
    const wide = [size === U32_MAX, compressedSize === U32_MAX];
    const values = zip64Fields(v, p + LOCAL_SIZE + nameLength, extraLength, wide);
    if (wide[0]) size = values.shift() as number;
    if (wide[1]) compressedSize = values.shift() as number;
    if (v.u32(p + 14) !== e.crc || size !== e.size || compressedSize !== e.compressedSize)
      throw bad(`local header of ${e.name} disagrees with the central directory (CRC or sizes)`);
  }
  return p + LOCAL_SIZE + nameLength + extraLength;
}

/**
 * All entries of a zip archive, by name. Throws `BAD_ARCHIVE` on any unreadable, truncated, inconsistent
 * or hostile input (see the module comment); `limits` default to `zipLimits(bytes.length)`.
 */
export function readZipEntries(
  bytes: Uint8Array,
  limits: ZipLimits = zipLimits(bytes.length),
): Map<string, Uint8Array> {
  const v = new View(bytes);
  if (bytes.length < EOCD_SIZE) throw bad(`${bytes.length} bytes is too short`);
  const { entries, cdStart } = readCentralDirectory(v, limits);
  const spans = entries.map((e) => {
    const start = localDataStart(v, e);
    const end = start + e.compressedSize;
    if (end > cdStart) throw bad(`entry ${e.name} runs into the central directory`);
    return { e, begin: e.localOffset, start, end };
  });
  spans.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++)
    if (spans[i].begin < spans[i - 1].end)
      throw bad(`entries ${spans[i - 1].e.name} and ${spans[i].e.name} overlap`);
  const out = new Map<string, Uint8Array>();
  for (const { e, start, end } of spans) {
    if (out.has(e.name)) throw bad(`duplicate entry ${e.name}`);
    const raw = bytes.subarray(start, end);
    const data = e.method === 0 ? raw : inflateBounded(raw, e.size, 'BAD_ARCHIVE', `zip entry ${e.name}`);
    if (data.length !== e.size)
      throw bad(`entry ${e.name} inflates to ${data.length} bytes, not the declared ${e.size}`);
    if (crc32(data) !== e.crc) throw bad(`entry ${e.name} fails its CRC-32 check (corrupt data)`);
    out.set(e.name, data);
  }
  return out;
}
