/**
 * Loader for torch `.pt` files in the zip format (torch >= 1.6): `<prefix>/data.pkl` is a pickle whose
 * persistent ids name raw little-endian storages `<prefix>/data/<key>`. Tensors come back as contiguous
 * `RawTensor`s (storage offset and strides applied). Only the globals torch needs for tensors and
 * state dicts are allowed.
 */
import { DtlensError, check } from '../errors.ts';
import {
  allocTyped,
  typedArrayFromBytes,
  DTYPE_BYTES,
  numel,
  type RawDtype,
  type RawTensor,
} from './rawTensor.ts';
import {
  MAX_TENSOR_ELEMENTS,
  MAX_TENSOR_TOTAL_BYTES,
  TENSOR_EXPANSION_FACTOR,
  derivedBudget,
} from './limits.ts';
import { numpyGlobals } from './numpy.ts';
import { PickleGlobal, unpickle, type GlobalFn } from './unpickle.ts';
import { isZip, readZipEntries } from './zip.ts';

/** Torch storage class -> dtype. */
const STORAGE_DTYPES: Readonly<Record<string, RawDtype>> = {
  'torch.FloatStorage': 'F32',
  'torch.DoubleStorage': 'F64',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
  'torch.LongStorage': 'I64',
  'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16',
  'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8',
  'torch.BoolStorage': 'BOOL',
};

interface Storage {
  dtype: RawDtype;
  data: RawTensor['data'];
}

const badCkpt = (message: string) => new DtlensError('BAD_CHECKPOINT', message);

/** The legacy (pre-1.6, non-zip) `torch.save` format starts with a protocol-2 pickle of a magic number. */
export function isLegacyTorch(bytes: Uint8Array): boolean {
  const magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

const isIntList = (x: unknown): x is number[] =>
  Array.isArray(x) && x.every((v) => Number.isSafeInteger(v) && (v as number) >= 0);

/**
 * Bytes of tensors one file may materialise: a multiple of the file size plus a fixed allowance. Each
 * view is also refused when it has more elements than its storage (stride 0 or overlapping strides would
 * let an 8-byte storage stand for gigabytes).
 */
class TensorBudget {
  private used = 0;
  constructor(readonly maxBytes: number) {}
  take(storage: Storage, n: number): void {
    check(
      n <= storage.data.length,
      'BAD_CHECKPOINT',
      () =>
        `tensor view of ${n} elements exceeds its storage of ${storage.data.length} (stride tricks are not loaded)`,
    );
    check(n <= MAX_TENSOR_ELEMENTS, 'BAD_SHAPE', `tensor of ${n} elements is too large`);
    this.used += n * DTYPE_BYTES[storage.dtype];
    check(
      this.used <= this.maxBytes,
      'BAD_CHECKPOINT',
      () => `tensors of this file exceed the limit of ${this.maxBytes} materialised bytes`,
    );
  }
}

/** Copies the strided view `(offset, shape, stride)` of a storage into a contiguous tensor. */
function materialise(
  storage: Storage,
  offset: unknown,
  shape: unknown,
  stride: unknown,
  budget: TensorBudget,
): RawTensor {
  if (
    !isIntList(shape) ||
    !isIntList(stride) ||
    shape.length !== stride.length ||
    !Number.isSafeInteger(offset)
  )
    throw new DtlensError('BAD_PICKLE', 'tensor with an invalid offset, size or stride');
  const n = numel(shape);
  const start = offset as number;
  let last = start;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
  if (n > 0 && (start < 0 || last >= storage.data.length))
    throw new DtlensError(
      'BAD_PICKLE',
      `tensor view reaches past its storage of ${storage.data.length} elements`,
    );
  budget.take(storage, n);
  const out = allocTyped(storage.dtype, n);
  const src = storage.data as unknown as ArrayLike<number>;
  const dst = out as unknown as { [i: number]: number };
  const index = new Array<number>(shape.length).fill(0);
  let pos = start;
  for (let i = 0; i < n; i++) {
    dst[i] = src[pos];
    for (let d = shape.length - 1; d >= 0; d--) {
      pos += stride[d];
      if (++index[d] < shape[d]) break;
      pos -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return { dtype: storage.dtype, shape: [...shape], data: out };
}

function torchGlobals(budget: TensorBudget): Record<string, GlobalFn> {
  const globals: Record<string, GlobalFn> = {
    ...numpyGlobals(),
    'collections.OrderedDict': (args) => {
      const d = new Map<unknown, unknown>();
      for (const pair of (args[0] as unknown[] | undefined) ?? []) {
        if (!Array.isArray(pair) || pair.length !== 2)
          throw new DtlensError('BAD_PICKLE', 'invalid OrderedDict items');
        d.set(pair[0], pair[1]);
      }
      return d;
    },
    'torch._utils._rebuild_tensor_v2': ([storage, offset, shape, stride]) => {
      if (typeof storage !== 'object' || storage === null || !('dtype' in storage))
        throw new DtlensError('BAD_PICKLE', '_rebuild_tensor_v2 without a storage');
      return materialise(storage as Storage, offset, shape, stride, budget);
    },
    'torch._utils._rebuild_parameter': ([data]) => data,
  };
  for (const name of Object.keys(STORAGE_DTYPES))
    globals[name] = () => {
      throw new DtlensError('BAD_PICKLE', `${name} cannot be called`);
    };
  return globals;
}

/** The archive folder holding `data.pkl` (e.g. the DTI run name), with a trailing slash. */
function findPicklePrefix(entries: Map<string, Uint8Array>): string {
  const pkls = [...entries.keys()].filter((n) => /^([^/]+\/)?data\.pkl$/.test(n));
  if (pkls.length !== 1)
    throw badCkpt(
      `zip archive is not a torch checkpoint: expected one */data.pkl entry, found ${pkls.length}`,
    );
  return pkls[0].slice(0, -'data.pkl'.length);
}

export interface TorchFile {
  /** The unpickled object: dicts are `Map`s, tensors `RawTensor`s. */
  root: unknown;
  /** Folder name inside the archive (DTI: the run name, which starts with the env id). */
  archivePrefix: string;
}

/** Loads a zip-format torch file. Throws `UNSUPPORTED` for the legacy format and typed errors for bad input. */
export function loadTorchFile(bytes: Uint8Array): TorchFile {
  if (isLegacyTorch(bytes))
    throw new DtlensError(
      'UNSUPPORTED',
      'legacy torch.save format (torch < 1.6 or _use_new_zipfile_serialization=False); re-save it with torch >= 1.6',
    );
  check(isZip(bytes), 'BAD_ARCHIVE', 'not a torch checkpoint: the file is not a zip archive');
  const entries = readZipEntries(bytes);
  const prefix = findPicklePrefix(entries);
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 3 || !(pid[1] instanceof PickleGlobal))
      throw new DtlensError('BAD_PICKLE', 'unrecognised persistent id (expected a torch storage)');
    const dtype = STORAGE_DTYPES[pid[1].name];
    const key = pid[2];
    check(dtype !== undefined, 'BAD_PICKLE', `${pid[1].name} is not a storage type`);
    check(typeof key === 'string', 'BAD_PICKLE', 'storage key is not a string');
    const cached = storages.get(key);
    if (cached) return cached;
    const raw = entries.get(`${prefix}data/${key}`);
    check(raw !== undefined, 'BAD_CHECKPOINT', `torch archive lacks storage data/${key}`);
    check(
      raw.length % DTYPE_BYTES[dtype] === 0,
      'BAD_CHECKPOINT',
      `storage data/${key} has ${raw.length} bytes, not a multiple of ${dtype}`,
    );
    const storage = { dtype, data: typedArrayFromBytes(dtype, raw) };
    storages.set(key, storage);
    return storage;
  };
  const budget = new TensorBudget(
    derivedBudget(bytes.length, TENSOR_EXPANSION_FACTOR, MAX_TENSOR_TOTAL_BYTES),
  );
  const root = unpickle(entries.get(`${prefix}data.pkl`) as Uint8Array, {
    globals: torchGlobals(budget),
    persistentLoad,
  });
  return { root, archivePrefix: prefix.replace(/\/$/, '') };
}
