import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.ts';
import { toFloat32, type RawTensor } from '../../../src/io/rawTensor.ts';
import { expectDtlensError, rawSafetensors } from '../../support/errors.ts';

/** Builds a safetensors file by hand from a header object (or raw header text) and data bytes. */
const handMade = (header: unknown, data: number[] | Uint8Array, headerText?: string): Uint8Array =>
  rawSafetensors(headerText ?? JSON.stringify(header), data);

describe('readSafetensors', () => {
  it('reads a hand-made file with F32, F16, BF16 and I64 tensors', () => {
    // 1.5f = 0x3fc00000; f16 -2 = 0xc000; bf16 0.5 = 0x3f00; i64 -3
    const data = [
      0x00, 0x00, 0xc0, 0x3f, 0x00, 0xc0, 0x00, 0x3f, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    const file = handMade(
      {
        __metadata__: { k: 'v' },
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        h: { dtype: 'F16', shape: [], data_offsets: [4, 6] },
        b: { dtype: 'BF16', shape: [1, 1], data_offsets: [6, 8] },
        l: { dtype: 'I64', shape: [1], data_offsets: [8, 16] },
      },
      data,
    );
    const { metadata, tensors } = readSafetensors(file);
    expect(metadata).toEqual({ k: 'v' });
    expect(Array.from(toFloat32(tensors.get('a')!))).toEqual([1.5]);
    expect(Array.from(toFloat32(tensors.get('h')!))).toEqual([-2]);
    expect(tensors.get('b')!.shape).toEqual([1, 1]);
    expect(Array.from(toFloat32(tensors.get('b')!))).toEqual([0.5]);
    expect(tensors.get('l')!.data[0]).toBe(-3n);
  });

  it('round-trips through writeSafetensors with sorted names and an 8-aligned header', () => {
    const tensors: Record<string, RawTensor> = {
      'z.w': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      'a.b': { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 7]) },
      m: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    };
    const bytes = writeSafetensors(tensors, { hello: 'world' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header['a.b'].data_offsets).toEqual([0, 12]);
    expect(header.m.data_offsets).toEqual([12, 14]);
    expect(header['z.w'].data_offsets).toEqual([14, 38]);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ hello: 'world' });
    for (const [name, t] of Object.entries(tensors)) {
      expect(back.tensors.get(name)!.dtype).toBe(t.dtype);
      expect(back.tensors.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(back.tensors.get(name)!.data as Float32Array)).toEqual(
        Array.from(t.data as Float32Array),
      );
    }
  });

  it('rejects a header length beyond the file or the cap', () => {
    const file = new Uint8Array(16);
    new DataView(file.buffer).setBigUint64(0, 2n ** 63n, true);
    expectDtlensError(() => readSafetensors(file), 'BAD_SAFETENSORS', /header length/);
    new DataView(file.buffer).setBigUint64(0, 9n, true);
    expectDtlensError(() => readSafetensors(file), 'BAD_SAFETENSORS', /header length/);
    expectDtlensError(() => readSafetensors(new Uint8Array(5)), 'BAD_SAFETENSORS', /too short/);
  });

  it('rejects broken JSON and non-object headers', () => {
    expectDtlensError(() => readSafetensors(handMade(null, [], '{"a": ')), 'BAD_SAFETENSORS', /JSON/);
    expectDtlensError(() => readSafetensors(handMade([1, 2], [])), 'BAD_SAFETENSORS', /object/);
  });

  it('rejects out-of-range offsets, size mismatches, overlaps, duplicates and unknown dtypes', () => {
    const four = [0, 0, 0, 0];
    const eight = [0, 0, 0, 0, 0, 0, 0, 0];
    expectDtlensError(
      () => readSafetensors(handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, four)),
      'BAD_SAFETENSORS',
      /outside/,
    );
    expectDtlensError(
      () => readSafetensors(handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, four)),
      'BAD_SAFETENSORS',
      /needs 8/,
    );
    expectDtlensError(
      () =>
        readSafetensors(
          handMade(
            {
              a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
              b: { dtype: 'I16', shape: [2], data_offsets: [2, 6] },
            },
            eight,
          ),
        ),
      'BAD_SAFETENSORS',
      /overlap/,
    );
    const dupText =
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectDtlensError(() => readSafetensors(handMade(null, eight, dupText)), 'BAD_SAFETENSORS', /duplicate/);
    expectDtlensError(
      () => readSafetensors(handMade({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, four)),
      'BAD_SAFETENSORS',
      /dtype/,
    );
    expectDtlensError(
      () => readSafetensors(handMade({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, four)),
      'BAD_SAFETENSORS',
      /shape/,
    );
  });

  it('throws only DtlensError on random garbage', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let iter = 0; iter < 200; iter++) {
      const bytes = new Uint8Array(Math.floor(rand() * 64));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      if (bytes.length >= 8 && iter % 2)
        new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length - 8), true);
      expect(() => readSafetensors(bytes)).toThrow(DtlensError);
    }
  });
});
