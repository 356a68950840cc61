/**
 * Resource limits and integrity checks of the loaders, at their boundaries: the largest accepted value
 * loads exactly, one more is a typed error naming the limit.
 */
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CONFIG_BOUNDS, parseEnvConfig, parseModelConfig } from '../../../src/config/config.ts';
import { printable } from '../../../src/errors.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { gunzipBounded } from '../../../src/io/inflate.ts';
import { MAX_ENTRIES, MAX_PICKLE_DEPTH, MAX_PICKLE_INT_BYTES } from '../../../src/io/limits.ts';
import { firstNonFinite, toInt32Checked, type RawTensor } from '../../../src/io/rawTensor.ts';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.ts';
import { unpickle } from '../../../src/io/unpickle.ts';
import { expectDtlensError, rawSafetensors } from '../../support/errors.ts';
import { tinyCheckpoint, tinySafetensorsCheckpoint, tinyTorchCheckpoint } from '../../fuzz/bases.ts';

const load = (ops: number[], limits = {}) =>
  unpickle(Uint8Array.from([0x80, 0x02, ...ops, 0x2e]), { globals: {}, limits });
const long4 = (bytes: number[]) => [
  0x8b,
  ...[0, 8, 16, 24].map((s) => (bytes.length >>> s) & 0xff),
  ...bytes,
];

describe('pickle integers', () => {
  it('decodes LONG4 two-complement values exactly, up to the byte limit', () => {
    expect(load(long4([0xff, 0xff]))).toBe(-1);
    expect(load(long4([0x00, 0x80]))).toBe(-32768);
    expect(load(long4([1, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe(2n ** 64n + 1n);
    expect(load(long4([...new Array(15).fill(0), 0x80]))).toBe(-(2n ** 127n));
    const max = new Array(MAX_PICKLE_INT_BYTES).fill(0xff);
    max[MAX_PICKLE_INT_BYTES - 1] = 0x7f;
    expect(load(long4(max))).toBe(2n ** BigInt(8 * MAX_PICKLE_INT_BYTES - 1) - 1n);
    expectDtlensError(() => load(long4([...max, 0])), 'BAD_PICKLE', /limit of 2048/);
  });

  it('limits the digits of text integers (INT) like Python', () => {
    const text = (digits: number) => [0x49, ...new TextEncoder().encode('7'.repeat(digits)), 0x0a];
    expect(load(text(4300))).toBe(BigInt('7'.repeat(4300)));
    expectDtlensError(() => load(text(4302)), 'BAD_PICKLE', /4300 digits/);
  });
});

describe('pickle structure', () => {
  /** `levels` lists, each holding the previous one twice. */
  const doubling = (levels: number) => {
    const ops = [0x5d, 0x94, 0x30];
    for (let i = 0; i < levels; i++) ops.push(0x28, 0x68, i, 0x68, i, 0x6c, 0x94, 0x30);
    return [...ops, 0x68, levels];
  };
  /** `depth` nested lists. */
  const nested = (depth: number) => [
    ...new Array(depth - 1).fill(0x28),
    0x5d,
    ...new Array(depth - 1).fill(0x6c),
  ];

  it('accepts shared references up to the node limit and refuses the exponential expansion beyond', () => {
    const ten = load(doubling(10)) as unknown[];
    expect(ten[0]).toBe(ten[1]); // shared, as in Python
    // 2^11 - 1 lists + 2^11 references to the innermost: 4095 values in total.
    expect(() => load(doubling(11), { maxNodes: 4095 })).not.toThrow();
    expectDtlensError(() => load(doubling(11), { maxNodes: 4094 }), 'BAD_PICKLE', /limit of 4094 values/);
    expectDtlensError(() => load(doubling(40)), 'BAD_PICKLE', /shared references/);
  });

  it('accepts nesting up to the depth limit, refuses one more, and refuses cycles', () => {
    expect(() => load(nested(MAX_PICKLE_DEPTH))).not.toThrow();
    expectDtlensError(() => load(nested(MAX_PICKLE_DEPTH + 1)), 'BAD_PICKLE', /deeper than the limit of 100/);
    // l = []; l.append(l)
    expectDtlensError(() => load([0x5d, 0x94, 0x68, 0, 0x61]), 'BAD_PICKLE', /cycle/);
  });

  it('limits memo entries and the pickle size', () => {
    const memoize = (n: number) => [0x4e, ...new Array(n).fill(0x94)];
    expect(() => load(memoize(8), { maxMemo: 8 })).not.toThrow();
    expectDtlensError(() => load(memoize(9), { maxMemo: 8 }), 'BAD_PICKLE', /limit of 8 memo entries/);
    expectDtlensError(() => load([0x4e], { maxBytes: 3 }), 'BAD_PICKLE', /more than the limit of 3/);
  });
});

describe('safetensors data coverage', () => {
  const t = (n: number): RawTensor => ({ dtype: 'U8', shape: [n], data: new Uint8Array(n).fill(n) });
  /** A file with the given [begin, end] offsets for tensors a (2 bytes) and b (3 bytes) over `dataLength` bytes. */
  const file = (a: [number, number], b: [number, number], dataLength: number) =>
    rawSafetensors(
      JSON.stringify({
        a: { dtype: 'U8', shape: [a[1] - a[0]], data_offsets: a },
        b: { dtype: 'U8', shape: [b[1] - b[0]], data_offsets: b },
      }),
      new Uint8Array(dataLength),
    );

  it('accepts an exact tiling in any header order, refuses gaps, overlaps and stray bytes', () => {
    expect(readSafetensors(writeSafetensors({ b: t(3), a: t(2) })).tensors.get('b')?.data).toEqual(t(3).data);
    expect(readSafetensors(file([3, 5], [0, 3], 5)).tensors.size).toBe(2);
    expectDtlensError(
      () => readSafetensors(file([0, 2], [3, 6], 6)),
      'BAD_SAFETENSORS',
      /1 bytes before tensor "b"/,
    );
    expectDtlensError(() => readSafetensors(file([1, 3], [3, 6], 6)), 'BAD_SAFETENSORS', /before tensor "a"/);
    expectDtlensError(() => readSafetensors(file([0, 2], [1, 4], 4)), 'BAD_SAFETENSORS', /overlaps/);
    expectDtlensError(
      () => readSafetensors(file([0, 2], [2, 5], 6)),
      'BAD_SAFETENSORS',
      /1 bytes after the last tensor/,
    );
  });

  it('refuses more tensors than the entry limit before building anything', () => {
    const header = (n: number) => {
      const entries = Array.from(
        { length: n },
        (_, i) => `"t${i}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}`,
      );
      return rawSafetensors(`{"__metadata__":{},${entries.join(',')}}`);
    };
    expect(readSafetensors(header(MAX_ENTRIES)).tensors.size).toBe(MAX_ENTRIES);
    expectDtlensError(
      () => readSafetensors(header(MAX_ENTRIES + 1)),
      'BAD_SAFETENSORS',
      /limit of 65536 tensors/,
    );
  });
});

describe('config bounds', () => {
  const model = (over: Record<string, unknown>) =>
    parseModelConfig({ d_model: 64, n_heads: 4, n_ctx: 5, ...over });
  it('accepts each bound and refuses one more', () => {
    const cases: [string, number, Record<string, unknown>][] = [
      ['n_layers', CONFIG_BOUNDS.nLayers, {}],
      ['d_mlp', CONFIG_BOUNDS.dMlp, {}],
      ['d_model', CONFIG_BOUNDS.dModel, { n_heads: 1 }],
      ['n_heads', CONFIG_BOUNDS.nHeads, { d_model: CONFIG_BOUNDS.nHeads }],
      ['n_ctx', CONFIG_BOUNDS.nCtx, {}],
    ];
    for (const [key, max, extra] of cases) {
      expect(() => model({ ...extra, [key]: max }), key).not.toThrow();
      expectDtlensError(
        () => model({ ...extra, [key]: key === 'n_ctx' ? max + 3 : max + 1 }),
        'BAD_CONFIG',
        new RegExp(key),
      );
    }
    expect(parseEnvConfig({ max_steps: CONFIG_BOUNDS.maxSteps }).maxSteps).toBe(CONFIG_BOUNDS.maxSteps);
    expectDtlensError(
      () => parseEnvConfig({ max_steps: CONFIG_BOUNDS.maxSteps + 1 }),
      'BAD_CONFIG',
      /max_steps/,
    );
    expectDtlensError(
      () => parseEnvConfig({ view_size: CONFIG_BOUNDS.viewSize + 2 }),
      'BAD_CONFIG',
      /view_size/,
    );
    expectDtlensError(
      () => parseModelConfig({ d_model: 2n ** 70n }),
      'BAD_CONFIG',
      /d_model: expected a number/,
    );
  });
});

describe('non-finite weights', () => {
  it('are refused naming the first tensor, and load with allowNonFiniteWeights', () => {
    const state = tinyCheckpoint().weights;
    (state.get('transformer.blocks.0.attn.W_V')!.data as Float32Array)[7] = -Infinity;
    const bytes = tinyTorchCheckpoint(1, state);
    expectDtlensError(
      () => loadCheckpoint(bytes),
      'BAD_CHECKPOINT',
      /weight transformer\.blocks\.0\.attn\.W_V .*element 7/,
    );
    const ckpt = loadCheckpoint(bytes, undefined, { allowNonFiniteWeights: true });
    expect((ckpt.weights.get('transformer.blocks.0.attn.W_V')!.data as Float32Array)[7]).toBe(-Infinity);
    expect(loadCheckpoint(tinySafetensorsCheckpoint()).weights.size).toBe(state.size);
  });

  it('are found in every float dtype by bit pattern', () => {
    const h = (bits: number[], dtype: 'F16' | 'BF16'): RawTensor => ({
      dtype,
      shape: [bits.length],
      data: Uint16Array.from(bits),
    });
    expect(firstNonFinite(h([0x3c00, 0x7c00], 'F16'))).toBe(1); // 1, +inf
    expect(firstNonFinite(h([0xfe00], 'F16'))).toBe(0); // nan
    expect(firstNonFinite(h([0x7bff, 0x0001], 'F16'))).toBe(-1); // max, subnormal
    expect(firstNonFinite(h([0x3f80, 0xff80], 'BF16'))).toBe(1); // 1, -inf
    expect(firstNonFinite({ dtype: 'F64', shape: [2], data: Float64Array.of(1e308, NaN) })).toBe(1);
    expect(firstNonFinite({ dtype: 'I64', shape: [1], data: BigInt64Array.of(-1n) })).toBe(-1);
  });
});

describe('exact integer conversion', () => {
  it('checks int64 values against the range before converting (2^31 and 2^32 never wrap)', () => {
    const i64 = (...v: bigint[]): RawTensor => ({
      dtype: 'I64',
      shape: [v.length],
      data: BigInt64Array.from(v),
    });
    expect(Array.from(toInt32Checked(i64(2n ** 31n - 1n, -(2n ** 31n)), 'x'))).toEqual([
      2 ** 31 - 1,
      -(2 ** 31),
    ]);
    expectDtlensError(
      () => toInt32Checked(i64(2n ** 31n), 'x'),
      'BAD_INPUT',
      /x must hold integers .* found 2147483648/,
    );
    expectDtlensError(() => toInt32Checked(i64(2n ** 32n), 'x'), 'BAD_INPUT', /found 4294967296/);
    expectDtlensError(() => toInt32Checked(i64(-1n), 'x', 0), 'BAD_INPUT', /0\.\.2147483647/);
    const f32 = (...v: number[]): RawTensor => ({
      dtype: 'F32',
      shape: [v.length],
      data: Float32Array.from(v),
    });
    expect(Array.from(toInt32Checked(f32(3, -4), 'x'))).toEqual([3, -4]);
    expectDtlensError(() => toInt32Checked(f32(2.5), 'x'), 'BAD_INPUT', /found 2.5/);
    expectDtlensError(() => toInt32Checked(f32(2 ** 32), 'x'), 'BAD_INPUT');
  });
});

describe('bounded gzip', () => {
  const payload = new TextEncoder().encode('trajectory '.repeat(1000));
  it('round-trips and checks CRC-32, size and the output limit', () => {
    const gz = gzipSync(payload);
    expect(gunzipBounded(gz, payload.length, 'BAD_DATASET')).toEqual(payload);
    expectDtlensError(() => gunzipBounded(gz, payload.length - 1, 'BAD_DATASET'), 'BAD_DATASET', /beyond/);
    const crc = gz.slice();
    crc[gz.length - 8] ^= 1;
    expectDtlensError(() => gunzipBounded(crc, 1e6, 'BAD_DATASET'), 'BAD_DATASET', /CRC-32/);
    const size = gz.slice();
    size[gz.length - 4] ^= 1;
    expectDtlensError(() => gunzipBounded(size, 1e6, 'BAD_DATASET'), 'BAD_DATASET', /trailer declares/);
    expectDtlensError(() => gunzipBounded(gz.subarray(0, gz.length - 20), 1e6, 'BAD_DATASET'), 'BAD_DATASET');
  });
});

describe('printable', () => {
  it('escapes control, separator and bidi characters and leaves other text alone', () => {
    expect(printable('a\u001b[31mb\u0007\n\u0085\u2028\u202eé ok')).toBe(
      'a\\x1b[31mb\\x07\\x0a\\x85\\u{2028}\\u{202e}é ok',
    );
  });
});
