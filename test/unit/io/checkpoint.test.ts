import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import {
  expectedStateDict,
  loadCheckpoint,
  saveNativeCheckpoint,
  type Checkpoint,
} from '../../../src/io/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.ts';
import type { RawTensor } from '../../../src/io/rawTensor.ts';
import { parseEnvConfig, parseModelConfig } from '../../../src/model/config.ts';

/** A small valid checkpoint: 1 layer, 2 heads, d_model 8, LN, gated MLP, n_ctx 5, 3 actions, 5x5 index view. */
function tinyCheckpoint(): Checkpoint {
  const base = {
    format: 'dtlens' as const,
    model: parseModelConfig({
      d_model: 8,
      n_heads: 2,
      d_mlp: 16,
      n_layers: 1,
      n_ctx: 5,
      layer_norm: 'LN',
      gated_mlp: true,
    }),
    env: parseEnvConfig({ view_size: 5, max_steps: 10 }),
    nActions: 3,
    obsShape: [5, 5, 3] as [number, number, number],
    provenance: { note: 'synthetic' },
  };
  const weights = new Map<string, RawTensor>();
  let k = 0;
  for (const [name, { shape, kind }] of expectedStateDict(base)) {
    const n = shape.reduce((a, b) => a * b, 1);
    weights.set(
      name,
      kind === 'bool'
        ? { dtype: 'BOOL', shape, data: new Uint8Array(n).fill(1) }
        : { dtype: 'F32', shape, data: Float32Array.from({ length: n }, () => k++ / 7) },
    );
  }
  return { ...base, weights };
}

function expectError(fn: () => unknown, code: string, ...parts: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DtlensError);
    expect((e as DtlensError).code).toBe(code);
    for (const p of parts) expect((e as DtlensError).message).toContain(p);
    return;
  }
  throw new Error(`expected ${code}`);
}

/** Re-encodes a native file with its weights edited. */
function edited(ckpt: Checkpoint, edit: (w: Map<string, RawTensor>) => void): Uint8Array {
  const { metadata, tensors } = readSafetensors(saveNativeCheckpoint(ckpt));
  edit(tensors);
  return writeSafetensors(tensors, metadata);
}

describe('expectedStateDict', () => {
  it('lists the keys TL 1.2.2 + DTI create for the config', () => {
    const exp = expectedStateDict(tinyCheckpoint());
    expect(exp.get('time_embedding.weight')!.shape).toEqual([11, 8]);
    expect(exp.get('state_embedding.weight')!.shape).toEqual([8, 75]);
    expect(exp.get('action_embedding.0.weight')!.shape).toEqual([4, 8]);
    expect(exp.get('transformer.blocks.0.attn.W_O')!.shape).toEqual([2, 4, 8]);
    expect(exp.get('transformer.blocks.0.mlp.W_gate')!.shape).toEqual([8, 16]);
    expect(exp.get('transformer.blocks.0.attn.mask')).toEqual({ shape: [5, 5], kind: 'bool' });
    expect(exp.get('transformer.blocks.0.attn.IGNORE')!.shape).toEqual([]);
    expect(exp.has('transformer.ln_final.w')).toBe(true);
    // 5 embeddings + 19 per block (4 LN, 10 attn incl. mask/IGNORE, 5 gated MLP) + 2 ln_final + 6 heads
    expect(exp.size).toBe(32);
  });
});

describe('native checkpoints', () => {
  it('round-trips configs, weights and provenance', () => {
    const ckpt = tinyCheckpoint();
    const back = loadCheckpoint(saveNativeCheckpoint(ckpt), 'tiny.safetensors');
    expect(back.format).toBe('dtlens');
    expect(back.model).toEqual(ckpt.model);
    expect(back.env).toEqual(ckpt.env);
    expect(back.nActions).toBe(3);
    expect(back.obsShape).toEqual([5, 5, 3]);
    expect(back.provenance.note).toBe('synthetic');
    expect(back.provenance.file).toBe('tiny.safetensors');
    for (const [name, t] of ckpt.weights) expect(back.weights.get(name)).toEqual(t);
  });

  it('names the key and both shapes on a shape mismatch', () => {
    const bytes = edited(tinyCheckpoint(), (w) =>
      w.set('transformer.blocks.0.mlp.W_in', { dtype: 'F32', shape: [8, 15], data: new Float32Array(120) }),
    );
    expectError(
      () => loadCheckpoint(bytes),
      'BAD_SHAPE',
      'transformer.blocks.0.mlp.W_in',
      '[8, 15]',
      '[8, 16]',
    );
  });

  it('reports missing keys, unexpected keys and wrong dtypes', () => {
    const ckpt = tinyCheckpoint();
    expectError(
      () => loadCheckpoint(edited(ckpt, (w) => w.delete('transformer.ln_final.b'))),
      'BAD_CHECKPOINT',
      'ln_final.b',
    );
    expectError(
      () =>
        loadCheckpoint(
          edited(ckpt, (w) => w.set('extra.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) })),
        ),
      'BAD_CHECKPOINT',
      'extra.weight',
    );
    expectError(
      () =>
        loadCheckpoint(
          edited(ckpt, (w) =>
            w.set('transformer.blocks.0.attn.mask', {
              dtype: 'F32',
              shape: [5, 5],
              data: new Float32Array(25),
            }),
          ),
        ),
      'BAD_CHECKPOINT',
      'attn.mask',
      'BOOL',
    );
  });

  it('rejects configs with NaN-like or negative values in metadata, and files without dtlens metadata', () => {
    const { metadata, tensors } = readSafetensors(saveNativeCheckpoint(tinyCheckpoint()));
    const withModel = (json: string) =>
      writeSafetensors(tensors, { ...metadata, 'dtlens.model_config': json });
    expectError(() => loadCheckpoint(withModel('{"d_model": -8}')), 'BAD_CONFIG', 'd_model');
    expectError(() => loadCheckpoint(withModel('{"d_model": NaN}')), 'BAD_CONFIG');
    expectError(() => loadCheckpoint(writeSafetensors(tensors)), 'BAD_CHECKPOINT', 'dtlens.model_config');
  });

  it('throws only DtlensError on garbage and on every truncation of a real file', () => {
    const bytes = saveNativeCheckpoint(tinyCheckpoint());
    for (let cut = 0; cut < bytes.length; cut += 97)
      expect(() => loadCheckpoint(bytes.subarray(0, cut))).toThrow(DtlensError);
    expect(() => loadCheckpoint(new TextEncoder().encode('PK\u0003\u0004 not really a zip'))).toThrow(
      DtlensError,
    );
  });

  it('says plainly when a file is neither a PyTorch checkpoint nor safetensors', () => {
    for (const text of ['# a README\nwith text', '{"json": true}', '', 'x'])
      expectError(
        () => loadCheckpoint(new TextEncoder().encode(text)),
        'BAD_CHECKPOINT',
        'not a model file: expected a PyTorch .pt zip or a .safetensors file',
      );
  });
});
