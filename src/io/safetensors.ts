/**
 * The safetensors format: `u64 LE header length N`, `N` bytes of JSON header
 * (`{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`),
 * then the little-endian tensor bytes, offsets relative to the end of the header.
 */
import { DtlensError, check } from '../errors.ts';
import { MAX_ENTRIES, MAX_JSON_DEPTH } from './limits.ts';
import {
  DTYPE_BYTES,
  assertRawTensor,
  bytesOf,
  isRawDtype,
  numel,
  typedArrayFromBytes,
  type RawDtype,
  type RawTensor,
} from './rawTensor.ts';

/** Largest header accepted (the reference implementation uses the same 100 MB cap). */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

export interface Safetensors {
  metadata: Record<string, string>;
  tensors: Map<string, RawTensor>;
}

const bad = (message: string) => new DtlensError('BAD_SAFETENSORS', `invalid safetensors file: ${message}`);

/**
 * The first duplicated key of the top-level JSON object (JSON.parse silently keeps the last), in one
 * linear pass that also refuses more than `MAX_ENTRIES` tensors (+ `__metadata__`) and nesting deeper than
 * `MAX_JSON_DEPTH` (deep values overflow the stack of anything that later walks them).
 */
function duplicateTopLevelKey(json: string): string | undefined {
  const keys = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        if (keys.size - (keys.has('__metadata__') ? 1 : 0) > MAX_ENTRIES)
          throw bad(`more than the limit of ${MAX_ENTRIES} tensors`);
      }
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth > MAX_JSON_DEPTH) throw bad(`header nested deeper than the limit of ${MAX_JSON_DEPTH}`);
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return undefined;
}

function parseHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw bad(`${bytes.length} bytes is too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_SAFETENSORS_HEADER, bytes.length - 8)))
    throw bad(
      `header length ${n} exceeds the file (${bytes.length} bytes) or the ${MAX_SAFETENSORS_HEADER} byte cap`,
    );
  const headerLength = Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw bad('header is not valid UTF-8');
  }
  let header: unknown;
  let dup: string | undefined;
  try {
    dup = duplicateTopLevelKey(text);
    header = JSON.parse(text);
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad('header is not a JSON object');
  if (dup !== undefined) throw bad(`duplicate tensor name "${dup}"`);
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLength };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('__metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(`__metadata__ value "${k}" is not a string`);
    out[k] = v;
  }
  return out;
}

/**
 * Tensors must tile the data section exactly, as the reference implementation requires: sorted by offset,
 * each begins where the previous ends, the first at 0 and the last at the end (no gap, overlap or
 * trailing byte, any of which would mean the file is not what it claims).
 */
function checkCoverage(spans: { name: string; begin: number; end: number }[], dataLength: number): void {
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const { name, begin, end } of spans) {
    if (begin < at) throw bad(`tensor "${name}" overlaps the tensor before it`);
    if (begin > at) throw bad(`${begin - at} bytes before tensor "${name}" belong to no tensor`);
    at = end;
  }
  if (at !== dataLength) throw bad(`${dataLength - at} bytes after the last tensor belong to no tensor`);
}

/** Parses a safetensors file. Tensor data is copied (aligned); throws `BAD_SAFETENSORS` on any inconsistency. */
export function readSafetensors(bytes: Uint8Array): Safetensors {
  const { header, dataStart } = parseHeader(bytes);
  const dataLength = bytes.length - dataStart;
  const metadata = parseMetadata(header.__metadata__);
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, RawTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (typeof entry !== 'object' || entry === null) throw bad(`entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (!isRawDtype(dtype)) throw bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1] ||
      offsets[1] > dataLength
    )
      throw bad(
        `tensor "${name}" has data_offsets ${JSON.stringify(offsets)} outside the ${dataLength} data bytes`,
      );
    const [begin, end] = offsets as [number, number];
    const expected = numel(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== expected)
      throw bad(
        `tensor "${name}" spans ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`,
      );
    spans.push({ name, begin, end });
  }
  checkCoverage(spans, dataLength);
  for (const { name, begin } of spans) {
    const { dtype, shape } = header[name] as { dtype: RawDtype; shape: number[] };
    tensors.set(name, {
      dtype,
      shape: [...shape],
      data: typedArrayFromBytes(dtype, bytes, dataStart + begin, numel(shape)),
    });
  }
  return { metadata, tensors };
}

/**
 * Serialises tensors (written in sorted name order, contiguous) and string metadata. The header is padded
 * with spaces to a multiple of 8 bytes so the data section stays 8-byte aligned.
 */
export function writeSafetensors(
  tensors: Record<string, RawTensor> | Map<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))].sort(
    ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    check(name !== '__metadata__', 'BAD_INPUT', 'a tensor cannot be named __metadata__');
    assertRawTensor(t, name);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const [, t] of entries) {
    out.set(bytesOf(t.data), pos);
    pos += t.data.byteLength;
  }
  return out;
}
