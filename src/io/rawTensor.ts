/**
 * `RawTensor`: a contiguous, row-major tensor exactly as stored in a checkpoint, before any conversion.
 * F16 and BF16 keep their raw bit patterns in a `Uint16Array`; BOOL is a `Uint8Array` of 0/1.
 */
import { DtlensError } from '../errors.ts';

export type RawDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export type RawData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array;

export interface RawTensor {
  dtype: RawDtype;
  shape: number[];
  data: RawData;
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<RawDtype, number>> = {
  F32: 4,
  F64: 8,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

type TypedArrayCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): RawData };

const DTYPE_ARRAY: Readonly<Record<RawDtype, TypedArrayCtor>> = {
  F32: Float32Array,
  F64: Float64Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

export function isRawDtype(x: unknown): x is RawDtype {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, x);
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Copies `byteLength` little-endian bytes starting at `bytes[byteOffset]` into a fresh, aligned typed array
 * of `dtype`. (All supported platforms are little-endian, as is every file format read here.)
 */
export function typedArrayFromBytes(
  dtype: RawDtype,
  bytes: Uint8Array,
  byteOffset = 0,
  count?: number,
): RawData {
  const size = DTYPE_BYTES[dtype];
  const n = count ?? Math.floor((bytes.length - byteOffset) / size);
  const copy = new Uint8Array(n * size);
  copy.set(bytes.subarray(byteOffset, byteOffset + n * size));
  return new DTYPE_ARRAY[dtype](copy.buffer, 0, n);
}

/** A zero-filled typed array of `dtype` with `n` elements. */
export function allocTyped(dtype: RawDtype, n: number): RawData {
  return new DTYPE_ARRAY[dtype](new ArrayBuffer(n * DTYPE_BYTES[dtype]), 0, n);
}

/** The little-endian bytes of a tensor's data (a view, no copy). */
export function bytesOf(data: RawData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** IEEE half-precision bits to a number. */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const bf16Scratch = new Uint32Array(1);
const bf16View = new Float32Array(bf16Scratch.buffer);

/** bfloat16 bits (the top half of a float32) to a number. */
export function bf16ToNumber(h: number): number {
  bf16Scratch[0] = h << 16;
  return bf16View[0];
}

/** Converts any tensor's data to float32 (F16/BF16 decoded, F64 rounded, ints and bools cast). */
export function toFloat32(raw: RawTensor): Float32Array {
  const { dtype, data } = raw;
  if (dtype === 'F32') return Float32Array.from(data as Float32Array);
  const out = new Float32Array(data.length);
  if (dtype === 'F16') for (let i = 0; i < out.length; i++) out[i] = f16ToNumber(data[i] as number);
  else if (dtype === 'BF16') for (let i = 0; i < out.length; i++) out[i] = bf16ToNumber(data[i] as number);
  else if (dtype === 'I64') for (let i = 0; i < out.length; i++) out[i] = Number(data[i] as bigint);
  else for (let i = 0; i < out.length; i++) out[i] = data[i] as number;
  return out;
}

/** Throws `BAD_SHAPE` unless the shape is a list of non-negative safe integers matching the data length. */
export function assertRawTensor(raw: RawTensor, name: string): void {
  const ok =
    isRawDtype(raw.dtype) &&
    raw.data.BYTES_PER_ELEMENT === DTYPE_BYTES[raw.dtype] &&
    raw.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!ok || numel(raw.shape) !== raw.data.length)
    throw new DtlensError(
      'BAD_SHAPE',
      `tensor ${name}: ${raw.dtype} [${raw.shape.join(', ')}] does not match its ${raw.data.length} elements of ${raw.data.BYTES_PER_ELEMENT} bytes`,
    );
}

/** `true` for objects shaped like a `RawTensor` (used to find tensors in unpickled trees). */
export function isRawTensor(x: unknown): x is RawTensor {
  if (typeof x !== 'object' || x === null) return false;
  const t = x as Partial<RawTensor>;
  return isRawDtype(t.dtype) && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/**
 * Index of the first NaN or infinite element (float dtypes; -1 when all are finite or the dtype is an
 * integer type). F16/BF16 are checked on their bit patterns.
 */
export function firstNonFinite(raw: RawTensor): number {
  const { dtype, data } = raw;
  if (dtype === 'F32' || dtype === 'F64') {
    const d = data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  } else if (dtype === 'F16' || dtype === 'BF16') {
    const mask = dtype === 'F16' ? 0x7c00 : 0x7f80;
    const d = data as Uint16Array;
    for (let i = 0; i < d.length; i++) if ((d[i] & mask) === mask) return i;
  }
  return -1;
}

/**
 * Integer values of a tensor as an `Int32Array`, each checked exactly against `[min, max]` before any
 * conversion (an int64 of 2^32 must not wrap to 0, nor a float 1e10 be cast). `BAD_INPUT` names `what`.
 */
export function toInt32Checked(
  raw: RawTensor,
  what: string,
  min = -(2 ** 31),
  max = 2 ** 31 - 1,
): Int32Array {
  const { dtype, data } = raw;
  const out = new Int32Array(data.length);
  const fail = (v: number | bigint) =>
    new DtlensError('BAD_INPUT', `${what} must hold integers in ${min}..${max}, found ${v}`);
  if (dtype === 'I64') {
    const lo = BigInt(min);
    const hi = BigInt(max);
    const d = data as BigInt64Array;
    for (let i = 0; i < d.length; i++) {
      if (d[i] < lo || d[i] > hi) throw fail(d[i]);
      out[i] = Number(d[i]);
    }
    return out;
  }
  const values = dtype === 'F16' || dtype === 'BF16' ? toFloat32(raw) : (data as ArrayLike<number>);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < min || v > max) throw fail(v);
    out[i] = v;
  }
  return out;
}
