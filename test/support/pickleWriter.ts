/**
 * A small pickle writer for tests: torch checkpoints (DTI layout, zip of `data.pkl` + storages) and DTI
 * trajectory files (numpy arrays), so hostile variants can be generated instead of committed.
 */
import { gzipSync } from 'fflate';
import type { RawDtype, RawTensor } from '../../src/io/rawTensor.ts';
import { bytesOf } from '../../src/io/rawTensor.ts';
import { writeZip } from './zipWriter.ts';

const enc = new TextEncoder();

/** Pickle opcodes, appended to one byte list. */
export class PickleBuilder {
  readonly out: number[] = [];
  op(...bytes: number[]): this {
    for (const b of bytes) this.out.push(b);
    return this;
  }
  u32(n: number): this {
    return this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  proto(): this {
    return this.op(0x80, 0x02);
  }
  str(s: string): this {
    const b = enc.encode(s);
    this.op(0x58).u32(b.length);
    for (const x of b) this.out.push(x);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.op(0x42).u32(b.length);
    for (const x of b) this.out.push(x);
    return this;
  }
  int(n: number): this {
    return this.op(0x4a).u32(n | 0);
  }
  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.op(0x47, ...b);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...enc.encode(`${module}\n${name}\n`));
  }
  mark = () => this.op(0x28);
  tuple = () => this.op(0x74);
  intTuple(xs: readonly number[]): this {
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }
  emptyDict = () => this.op(0x7d);
  setItems = () => this.op(0x75);
  reduce = () => this.op(0x52);
  build = () => this.op(0x62);
  stop = () => this.op(0x2e);
  /** A dict of string keys whose values `write` appends. */
  dict(entries: readonly [string, () => void][]): this {
    this.emptyDict().mark();
    for (const [k, write] of entries) {
      this.str(k);
      write();
    }
    return this.setItems();
  }
  done(): Uint8Array {
    return Uint8Array.from(this.stop().out);
  }
}

const STORAGE: Partial<Record<RawDtype, string>> = {
  F32: 'FloatStorage',
  F64: 'DoubleStorage',
  I64: 'LongStorage',
  BOOL: 'BoolStorage',
  U8: 'ByteStorage',
};

/** A tensor view written as torch does: `_rebuild_tensor_v2(storage, offset, shape, stride)`. */
export interface TensorRef {
  storageKey: string;
  dtype: RawDtype;
  storageElements: number;
  offset: number;
  shape: readonly number[];
  stride: readonly number[];
}

export function writeTensorRef(p: PickleBuilder, t: TensorRef): void {
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark()
    .str('storage')
    .global('torch', STORAGE[t.dtype] as string)
    .str(t.storageKey)
    .str('cpu');
  p.int(t.storageElements).tuple().op(0x51); // BINPERSID
  p.int(t.offset).intTuple(t.shape).intTuple(t.stride).tuple().reduce();
}

const contiguousStride = (shape: readonly number[]) =>
  shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** A torch zip archive `archive/data.pkl` + `archive/data/<key>` for the given pickle and storages. */
export function torchArchive(
  pkl: Uint8Array,
  storages: ReadonlyMap<string, Uint8Array>,
  prefix = 'archive',
): Uint8Array {
  return writeZip([
    { name: `${prefix}/data.pkl`, data: pkl },
    ...[...storages].map(([key, data]) => ({ name: `${prefix}/data/${key}`, data })),
  ]).bytes;
}

/** A DTI checkpoint dict `{model_state_dict, model_config, environment_config}` as a torch archive. */
export function dtiTorchCheckpoint(
  state: ReadonlyMap<string, RawTensor>,
  modelConfig: unknown,
  envConfig: unknown,
): Uint8Array {
  const storages = new Map<string, Uint8Array>();
  const p = new PickleBuilder().proto();
  p.dict([
    [
      'model_state_dict',
      () =>
        p.dict(
          [...state].map(([name, t], i) => [
            name,
            () => {
              const key = String(i);
              storages.set(key, bytesOf(t.data).slice());
              writeTensorRef(p, {
                storageKey: key,
                dtype: t.dtype,
                storageElements: t.data.length,
                offset: 0,
                shape: t.shape,
                stride: contiguousStride(t.shape),
              });
            },
          ]),
        ),
    ],
    ['model_config', () => p.str(JSON.stringify(modelConfig))],
    ['environment_config', () => p.str(JSON.stringify(envConfig))],
  ]);
  return torchArchive(p.done(), storages);
}

const NUMPY_CODES: Partial<Record<RawDtype, string>> = {
  F64: 'f8',
  F32: 'f4',
  I64: 'i8',
  BOOL: 'b1',
  U8: 'u1',
};

/** A numpy array as `_reconstruct` + BUILD (C order, little-endian). */
export function writeNumpyArray(p: PickleBuilder, t: RawTensor): void {
  p.global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray').intTuple([0]);
  p.op(0x43, 1, 0x62).op(0x87).reduce(); // SHORT_BINBYTES b'b', TUPLE3, REDUCE
  p.mark().int(1).intTuple(t.shape);
  p.global('numpy', 'dtype')
    .str(NUMPY_CODES[t.dtype] as string)
    .op(0x89, 0x88, 0x87)
    .reduce();
  p.mark().int(3).str('<').op(0x4e, 0x4e, 0x4e).int(-1).int(-1).int(0).tuple().build();
  p.op(0x89).bytes(bytesOf(t.data)).tuple().build();
}

/** The columns of a DTI trajectory file, `[T, nEnvs, ...]`. */
export interface TrajectoryColumns {
  observations: RawTensor;
  actions: RawTensor;
  rewards: RawTensor;
  dones: RawTensor;
  truncated: RawTensor;
}

/** A DTI trajectory file (`{data: {...}, metadata: {args, time}}` pickle), gzip'd when asked. */
export function dtiTrajectoryFile(cols: TrajectoryColumns, gzip = false, args = '{}'): Uint8Array {
  const p = new PickleBuilder().proto();
  p.dict([
    [
      'data',
      () =>
        p.dict(
          (Object.keys(cols) as (keyof TrajectoryColumns)[]).map((k) => [
            k,
            () => writeNumpyArray(p, cols[k]),
          ]),
        ),
    ],
    [
      'metadata',
      () =>
        p.dict([
          ['args', () => p.str(args)],
          ['time', () => p.float(1.5)],
        ]),
    ],
  ]);
  const pkl = p.done();
  return gzip ? gzipSync(pkl) : pkl;
}
