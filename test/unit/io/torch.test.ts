import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { toFloat32, isRawTensor, type RawTensor } from '../../../src/io/rawTensor.ts';
import { loadTorchFile } from '../../../src/io/torch.ts';
import { describeWithShared, sharedPath } from '../../support/shared.ts';

interface Expected {
  shape: number[];
  dtype: string;
  values: number[];
}
const TORCH_DTYPES: Record<string, string> = {
  'torch.float32': 'F32',
  'torch.float16': 'F16',
  'torch.bfloat16': 'BF16',
  'torch.int64': 'I64',
  'torch.bool': 'BOOL',
};

const fixture = (name: string) =>
  new Uint8Array(readFileSync(sharedPath('docs/ts_stack_ref/fixtures', name)));

function expectDtlensError(fn: () => unknown, code?: string, pattern?: RegExp): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DtlensError)) throw e;
    if (code) expect(e.code).toBe(code);
    if (pattern) expect(e.message).toMatch(pattern);
    return;
  }
  throw new Error('expected a DtlensError');
}

describeWithShared('loadTorchFile on the torch 1.13 fixtures', () => {
  const expected = JSON.parse(
    readFileSync(sharedPath('docs/ts_stack_ref/fixtures/expected.json'), 'utf8'),
  ) as Record<string, Expected>;

  function checkStateDict(sd: Map<string, unknown>): void {
    for (const [name, exp] of Object.entries(expected)) {
      const t = sd.get(name) as RawTensor;
      expect(isRawTensor(t), name).toBe(true);
      expect(t.shape, name).toEqual(exp.shape);
      expect(t.dtype, name).toBe(TORCH_DTYPES[exp.dtype]);
      expect(Array.from(toFloat32(t)), name).toEqual(exp.values.map(Math.fround));
    }
  }

  it('sd.pt: every tensor (strided, offset, shared storage, f16, bf16, i64, bool, 0-dim) matches', () => {
    const { root } = loadTorchFile(fixture('sd.pt'));
    expect(root).toBeInstanceOf(Map);
    checkStateDict(root as Map<string, unknown>);
  });

  it('ckpt.pt: nested dict with state dict, scalars, numpy scalar, parameter and optimizer state', () => {
    const { root, archivePrefix } = loadTorchFile(fixture('ckpt.pt'));
    expect(archivePrefix).toBe('ckpt');
    const ckpt = root as Map<string, unknown>;
    checkStateDict(ckpt.get('model_state_dict') as Map<string, unknown>);
    expect(ckpt.get('epoch')).toBe(7);
    expect(ckpt.get('lr')).toBe(1e-3);
    expect(ckpt.get('np_scalar')).toBe(0.25);
    const config = ckpt.get('config') as Map<string, unknown>;
    expect(config.get('d_model')).toBe(8);
    expect(config.get('act')).toBe('relu');
    expect(config.get('tup')).toEqual([1, 2]);
    const param = ckpt.get('param') as RawTensor;
    expect(param.shape).toEqual([2, 2]);
    expect(Array.from(toFloat32(param))).toEqual([1, 1, 1, 1]);
    const lin = (ckpt.get('model_state_dict') as Map<string, unknown>).get('lin') as Map<string, RawTensor>;
    expect(lin.get('weight')!.shape).toEqual([4, 8]);
    expect(ckpt.get('optimizer_state_dict')).toBeInstanceOf(Map);
  });

  it('a truncated archive, cut at many offsets, always gives a typed error', () => {
    const bytes = fixture('sd.pt');
    for (let cut = 0; cut < bytes.length; cut += 37)
      expectDtlensError(() => loadTorchFile(bytes.subarray(0, cut)));
  });

  it('random byte flips never raise anything but DtlensError', () => {
    const original = fixture('sd.pt');
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const outcomes = { loaded: 0, typedError: 0 };
    for (let iter = 0; iter < 300; iter++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      try {
        loadTorchFile(bytes);
        outcomes.loaded++;
      } catch (e) {
        expect(e).toBeInstanceOf(DtlensError);
        outcomes.typedError++;
      }
    }
    console.log(`torch byte flips: ${JSON.stringify(outcomes)}`);
    // both paths are exercised: every entry is CRC-checked, so flips in tensor bytes, the pickle or the zip
    // structure give typed errors (282 of 300 here); the loads (18) are flips that wrote a byte's own value
    // or hit bytes no check covers (the alignment padding of the local headers' extra fields)
    expect(outcomes.loaded + outcomes.typedError).toBe(300);
    expect(outcomes.loaded).toBeGreaterThanOrEqual(5);
    expect(outcomes.typedError).toBeGreaterThanOrEqual(250);
  });
});

it('rejects the legacy torch.save format with UNSUPPORTED', () => {
  const legacy = Uint8Array.from([
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
  ]);
  expectDtlensError(() => loadTorchFile(legacy), 'UNSUPPORTED');
});

it('rejects non-zip bytes and zips without data.pkl', () => {
  expectDtlensError(() => loadTorchFile(new TextEncoder().encode('hello world')), 'BAD_ARCHIVE');
  expectDtlensError(() => loadTorchFile(zipSync({ 'x/readme.txt': new Uint8Array([1]) })), 'BAD_CHECKPOINT');
});

it('refuses a pickle calling os.system inside a torch archive', () => {
  const pkl = new Uint8Array([0x80, 0x02, 0x63, ...new TextEncoder().encode('os\nsystem\n'), 0x2e]);
  expectDtlensError(() => loadTorchFile(zipSync({ 'a/data.pkl': pkl }, { level: 0 })), 'UNSAFE_PICKLE');
});

it('rejects a tensor view that reaches past its storage', () => {
  // {'t': _rebuild_tensor_v2(storage('0', FloatStorage, 1 element), offset 0, size (4,), stride (1,))}
  const enc = (s: string) => [...new TextEncoder().encode(s)];
  const str = (s: string) => [0x8c, s.length, ...enc(s)];
  // prettier-ignore
  const pkl = Uint8Array.from([
    0x80, 0x04, 0x7d, ...str('t'), 0x63, ...enc('torch._utils\n_rebuild_tensor_v2\n'),
    0x28, // MARK: the argument tuple
    0x28, ...str('storage'), 0x63, ...enc('torch\nFloatStorage\n'), ...str('0'), ...str('cpu'), 0x4b, 1, 0x74, 0x51,
    0x4b, 0, 0x4b, 4, 0x85, 0x4b, 1, 0x85, 0x74, 0x52, 0x73, 0x2e,
  ]);
  const zip = zipSync({ 'a/data.pkl': pkl, 'a/data/0': new Uint8Array(4) }, { level: 0 });
  expectDtlensError(() => loadTorchFile(zip), 'BAD_PICKLE', /past its storage/);
});
