/**
 * The numpy globals a pickle of arrays needs (`_reconstruct`, `ndarray`, `dtype`, `scalar`), implemented as
 * plain data builders: arrays become `NumpyArray` (numeric data as a C-order `RawTensor`, object arrays
 * as opaque lists).
 */
import { DtlensError, check } from '../errors.ts';
import { DTYPE_BYTES, numel, typedArrayFromBytes, type RawDtype, type RawTensor } from './rawTensor.ts';
import {
  PICKLE_CHILDREN,
  SET_STATE,
  type Buildable,
  type GlobalFn,
  type PickleContainer,
} from './unpickle.ts';

const bad = (message: string) => new DtlensError('BAD_PICKLE', `invalid numpy pickle: ${message}`);

/** numpy type code (kind + item size) -> dtype. */
const NUMPY_DTYPES: Readonly<Record<string, RawDtype>> = {
  f8: 'F64',
  f4: 'F32',
  f2: 'F16',
  i8: 'I64',
  i4: 'I32',
  i2: 'I16',
  i1: 'I8',
  u1: 'U8',
  b1: 'BOOL',
};

/** A `numpy.dtype`: its code ('f8', 'O8', ...) and byte order, set by BUILD. */
export class NumpyDtype implements Buildable {
  byteOrder = '<';
  constructor(readonly code: string) {}
  get isObject(): boolean {
    return this.code.startsWith('O');
  }
  get raw(): RawDtype {
    const dtype = NUMPY_DTYPES[this.code];
    if (!dtype) throw new DtlensError('UNSUPPORTED', `numpy dtype ${this.code} is not supported`);
    return dtype;
  }
  [SET_STATE](state: unknown): void {
    if (!Array.isArray(state) || typeof state[1] !== 'string') throw bad('dtype state');
    this.byteOrder = state[1];
  }
}

/** A `numpy.ndarray` rebuilt from `_reconstruct` + BUILD. Exactly one of `tensor` / `objects` is set. */
export class NumpyArray implements Buildable, PickleContainer {
  shape: number[] = [];
  tensor: RawTensor | null = null;
  objects: unknown[] | null = null;

  get [PICKLE_CHILDREN](): readonly unknown[] {
    return this.objects ?? [];
  }

  [SET_STATE](state: unknown): void {
    if (!Array.isArray(state) || state.length !== 5) throw bad('ndarray state is not a 5-tuple');
    const [, shape, dtype, fortran, payload] = state;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad('ndarray shape');
    if (!(dtype instanceof NumpyDtype)) throw bad('ndarray dtype');
    this.shape = shape as number[];
    const n = numel(this.shape);
    if (dtype.isObject) {
      check(
        Array.isArray(payload) && payload.length === n,
        'BAD_PICKLE',
        'object array with the wrong item count',
      );
      this.objects = payload as unknown[];
      return;
    }
    const raw = dtype.raw;
    if (!(payload instanceof Uint8Array) || payload.length !== n * DTYPE_BYTES[raw])
      throw bad(`ndarray ${dtype.code} [${this.shape.join(', ')}] with a data size that does not match`);
    const bytes = dtype.byteOrder === '>' ? swapBytes(payload, DTYPE_BYTES[raw]) : payload;
    const data = typedArrayFromBytes(raw, bytes, 0, n);
    this.tensor = { dtype: raw, shape: [...this.shape], data: fortran ? fortranToC(data, this.shape) : data };
  }
}

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size)
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  return out;
}

/** Reorders column-major (Fortran) data to row-major. */
function fortranToC(data: RawTensor['data'], shape: number[]): RawTensor['data'] {
  const out = data.slice() as RawTensor['data'];
  const n = data.length;
  const src = data as unknown as ArrayLike<number>;
  const dst = out as unknown as { [i: number]: number };
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let d = shape.length - 1; d >= 0; d--) f = f * shape[d] + index[d];
    dst[i] = src[f];
    for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
  }
  return out;
}

function makeDtype([code]: unknown[]): NumpyDtype {
  if (typeof code !== 'string') throw bad('dtype code is not a string');
  return new NumpyDtype(code);
}

/** `numpy.core.multiarray.scalar(dtype, bytes)`: a numpy scalar, as a JS number (bigint for huge ints). */
function makeScalar([dtype, payload]: unknown[]): number | bigint | boolean {
  if (!(dtype instanceof NumpyDtype) || !(payload instanceof Uint8Array)) throw bad('scalar arguments');
  const raw = dtype.raw;
  check(payload.length === DTYPE_BYTES[raw], 'BAD_PICKLE', 'numpy scalar with the wrong byte size');
  const value = typedArrayFromBytes(raw, payload, 0, 1)[0];
  if (raw === 'BOOL') return value !== 0;
  if (
    typeof value === 'bigint' &&
    value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    value <= BigInt(Number.MAX_SAFE_INTEGER)
  )
    return Number(value);
  return value;
}

const NDARRAY_TAG: GlobalFn = () => {
  throw bad('numpy.ndarray cannot be called directly');
};

/** `_codecs.encode(text, 'latin1')`: how protocol 2 pickles bytes (e.g. numpy payloads); latin-1 only. */
function latin1Encode([text, encoding]: unknown[]): Uint8Array {
  if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
    throw bad('_codecs.encode arguments');
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw bad('_codecs.encode of a non-latin-1 character');
    out[i] = c;
  }
  return out;
}

/** Allowlist entries for numpy arrays, dtypes and scalars (numpy 1.x and 2.x module names). */
export function numpyGlobals(): Record<string, GlobalFn> {
  const globals: Record<string, GlobalFn> = {
    'numpy.ndarray': NDARRAY_TAG,
    'numpy.dtype': makeDtype,
    '_codecs.encode': latin1Encode,
  };
  for (const core of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
    globals[`${core}._reconstruct`] = () => new NumpyArray();
    globals[`${core}.scalar`] = makeScalar;
  }
  return globals;
}
