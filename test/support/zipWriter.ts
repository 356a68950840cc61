/**
 * A minimal zip writer for tests (stored or deflated entries, no zip64) that reports where every header
 * lies, so tests can build hostile archives: shared local entries, disagreeing headers, bad CRCs.
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/io/crc32.ts';

export interface ZipSpec {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

export interface ZipLayout {
  bytes: Uint8Array;
  /** Offset of each entry's local header, and of its data. */
  locals: number[];
  dataStarts: number[];
  /** Offset of each central-directory record. */
  centrals: number[];
  cdOffset: number;
}

const enc = new TextEncoder();

/**
 * Writes a zip archive. `central` lists the central records to write as indices into `specs` (default: one
 * per entry); repeating an index makes several records share one local entry.
 */
export function writeZip(
  specs: readonly ZipSpec[],
  central?: readonly { entry: number; name?: string }[],
): ZipLayout {
  const parts: Uint8Array[] = [];
  let pos = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    pos += b.length;
  };
  const infos = specs.map((s) => {
    const name = enc.encode(s.name);
    const stored = s.deflate ? new Uint8Array(deflateRawSync(s.data)) : s.data;
    const local = new Uint8Array(30 + name.length);
    const dv = new DataView(local.buffer);
    const crc = crc32(s.data);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint16(8, s.deflate ? 8 : 0, true);
    dv.setUint32(14, crc, true);
    dv.setUint32(18, stored.length, true);
    dv.setUint32(22, s.data.length, true);
    dv.setUint16(26, name.length, true);
    local.set(name, 30);
    const offset = pos;
    push(local);
    const dataStart = pos;
    push(stored);
    return { offset, dataStart, crc, csize: stored.length, size: s.data.length, method: s.deflate ? 8 : 0 };
  });
  const cdOffset = pos;
  const records: readonly { entry: number; name?: string }[] =
    central ?? specs.map((_, entry) => ({ entry }));
  const centrals: number[] = [];
  for (const r of records) {
    const info = infos[r.entry];
    const name = enc.encode(r.name ?? specs[r.entry].name);
    const rec = new Uint8Array(46 + name.length);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, 0x02014b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint16(6, 20, true);
    dv.setUint16(10, info.method, true);
    dv.setUint32(16, info.crc, true);
    dv.setUint32(20, info.csize, true);
    dv.setUint32(24, info.size, true);
    dv.setUint16(28, name.length, true);
    dv.setUint32(42, info.offset, true);
    rec.set(name, 46);
    centrals.push(pos);
    push(rec);
  }
  const eocd = new Uint8Array(22);
  const dv = new DataView(eocd.buffer);
  dv.setUint32(0, 0x06054b50, true);
  dv.setUint16(8, records.length, true);
  dv.setUint16(10, records.length, true);
  dv.setUint32(12, pos - cdOffset, true);
  dv.setUint32(16, cdOffset, true);
  push(eocd);
  const bytes = new Uint8Array(pos);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return {
    bytes,
    locals: infos.map((i) => i.offset),
    dataStarts: infos.map((i) => i.dataStart),
    centrals,
    cdOffset,
  };
}
