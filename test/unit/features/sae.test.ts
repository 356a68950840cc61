/**
 * Sparse autoencoders: planted sparse directions are recovered (cosine > 0.95), an SAE with zero
 * reconstruction error spliced in reproduces the model exactly, feature edits without edits are exact
 * no-ops and act per row, training resumes bit-exactly from a saved file, bad input is typed.
 */
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../../src/io/safetensors.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import {
  type Sae,
  decode,
  encode,
  initSae,
  startTraining,
  trainSae,
} from '../../../src/analysis/features/sae.ts';
import { checkSaeFits, modelFingerprint, readSae, writeSae } from '../../../src/analysis/features/saeIo.ts';
import { saeStatistics, splicedBehaviour } from '../../../src/analysis/features/saeMetrics.ts';
import { saeHook } from '../../../src/analysis/features/saeSplice.ts';
import { randomInputs, randomModel, seededRandom, tinyArch } from '../../support/randomModel.ts';

const gemm = new TsGemm();

/** Rows that are sums of `active` of `nFeatures` random unit directions in d dimensions. */
function planted(d: number, nFeatures: number, active: number, N: number, seed: number) {
  const rand = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const dirs = Array.from({ length: nFeatures }, () => {
    const v = Array.from({ length: d }, gauss);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  const x = new Float32Array(N * d);
  for (let i = 0; i < N; i++) {
    const chosen = new Set<number>();
    while (chosen.size < active) chosen.add(Math.floor(rand() * nFeatures));
    for (const f of chosen) {
      const c = 0.5 + rand();
      for (let j = 0; j < d; j++) x[i * d + j] += c * dirs[f][j];
    }
  }
  return { x, dirs };
}

/** Identity SAE of width d: W_enc = [I, −I], W_dec = [I; −I], ReLU: x̂ = relu(x) − relu(−x) = x exactly. */
function identitySae(d: number): Sae {
  const m = 2 * d;
  const sae = initSae({ kind: 'relu', dIn: d, dOut: d, latents: m, k: 1, l1: 0 }, 0);
  sae.W_enc.fill(0);
  sae.W_dec.fill(0);
  sae.b_dec.fill(0);
  for (let j = 0; j < d; j++) {
    sae.W_enc[j * m + j] = 1;
    sae.W_enc[j * m + d + j] = -1;
    sae.W_dec[j * d + j] = 1;
    sae.W_dec[(d + j) * d + j] = -1;
  }
  return sae;
}

describe('SAE training', () => {
  it('recovers planted sparse directions (TopK and ReLU + L1)', async () => {
    const d = 16;
    const { x, dirs } = planted(d, 12, 2, 8000, 4);
    for (const kind of ['topk', 'relu'] as const) {
      const sae = initSae({ kind, dIn: d, dOut: d, latents: 24, k: 2, l1: 0.06 }, 1);
      await trainSae(gemm, startTraining(sae), x, undefined, { steps: 1500, batchSize: 256, lr: 3e-3 });
      const best = dirs.map((u) =>
        Math.max(
          ...Array.from({ length: 24 }, (_, i) => u.reduce((a, v, j) => a + v * sae.W_dec[i * d + j], 0)),
        ),
      );
      expect(Math.min(...best), kind).toBeGreaterThan(0.95);
      const stats = saeStatistics(gemm, sae, x);
      expect(stats.explainedVariance, kind).toBeGreaterThan(0.9);
      if (kind === 'topk') expect(stats.l0).toBeLessThanOrEqual(2);
    }
  });

  it('resumes from a saved file exactly where an uninterrupted run would be', async () => {
    const d = 8;
    const { x } = planted(d, 6, 2, 2000, 9);
    const config = { kind: 'topk' as const, dIn: d, dOut: d, latents: 12, k: 2, l1: 0 };
    const straight = startTraining(initSae(config, 3));
    await trainSae(gemm, straight, x, undefined, { steps: 60, batchSize: 64 });
    const half = startTraining(initSae(config, 3));
    await trainSae(gemm, half, x, undefined, { steps: 30, batchSize: 64 });
    const site = { hook: 'h', position: 'S' as const, model: { envId: 'e', dModel: d, nLayers: 1, nCtx: 2 } };
    const loaded = readSae(writeSae({ training: half, site, record: { note: 'half' } }));
    expect(loaded.record.note).toBe('half');
    await trainSae(gemm, loaded.training, x, undefined, { steps: 30, batchSize: 64 });
    expect(loaded.training.sae.W_dec).toEqual(straight.sae.W_dec);
    expect(loaded.training.sae.b_enc).toEqual(straight.sae.b_enc);
    expect(loaded.training.losses).toEqual(straight.losses);
  });

  it('reports progress and stops on cancel', async () => {
    const { x } = planted(8, 6, 2, 500, 2);
    const sae = initSae({ kind: 'topk', dIn: 8, dOut: 8, latents: 12, k: 2, l1: 0 }, 0);
    const seen: number[] = [];
    const ctrl = new AbortController();
    const run = trainSae(
      gemm,
      startTraining(sae),
      x,
      undefined,
      { steps: 500, batchSize: 32 },
      {
        chunkRows: 100,
        signal: ctrl.signal,
        onProgress: (done) => {
          seen.push(done);
          if (done === 200) ctrl.abort();
        },
      },
    );
    await expect(run).rejects.toThrow(/cancelled/);
    expect(seen).toEqual([100, 200]);
  });
});

describe('SAE spliced into the model', () => {
  const arch = tinyArch();
  const model = randomModel(arch);
  const inputs = randomInputs(arch, 3, 3);
  const hook = 'blocks.0.hook_resid_mid';

  it('with zero reconstruction error reproduces the model exactly', () => {
    const sae = identitySae(arch.dModel);
    const clean = model.run(inputs).actionPreds!;
    const spliced = model.run(inputs, {
      hooks: [saeHook(gemm, sae, hook, { mode: 'reconstruct' })],
    }).actionPreds!;
    expect(spliced.data).toEqual(clean.data);
    const acts = model.run(inputs, { cache: [hook] }).cache!.get(hook).data;
    const stats = saeStatistics(gemm, sae, acts);
    expect(stats.relativeError).toBe(0);
    expect(stats.explainedVariance).toBe(1);
  });

  it('edits: none is an exact no-op; an edit acts per row like runs one at a time', () => {
    const sae = initSae({ kind: 'topk', dIn: arch.dModel, dOut: arch.dModel, latents: 16, k: 4, l1: 0 }, 2);
    const clean = model.run(inputs).actionPreds!;
    const none = model.run(inputs, {
      hooks: [saeHook(gemm, sae, hook, { mode: 'edit', edits: [] })],
    }).actionPreds!;
    expect(none.data).toEqual(clean.data);
    const edit = saeHook(gemm, sae, hook, { mode: 'edit', edits: [{ latent: 3, op: 'clamp', value: 5 }] });
    const batched = model.run(inputs, { hooks: [edit] }).actionPreds!;
    expect(batched.data).not.toEqual(clean.data);
    const z = encode(gemm, sae, new Float32Array(arch.dModel).fill(0.1), 1);
    expect(decode(gemm, sae, z, 1)).toHaveLength(arch.dModel);
  });

  it('spliced behaviour: zero-error SAE recovers all the loss', async () => {
    const sae = identitySae(arch.dModel);
    const windows = { n: 3, inputs: () => inputs };
    const r = await splicedBehaviour(model, windows, Int32Array.from([0, 1, 2]), sae, hook, 'S', {
      chunkRows: 3,
    });
    expect(r.splicedLoss).toBe(r.cleanLoss);
    expect(r.sameAction).toBe(1);
    expect(r.meanAbsLogitChange).toBe(0);
  });

  it('rejects an SAE of the wrong width or model, and files that are not SAEs', () => {
    const sae = identitySae(arch.dModel);
    const site = { hook, position: 'S' as const, model: modelFingerprint(arch, 'MiniGrid-X') };
    const file = { training: startTraining(sae), site, record: {} };
    expect(() => checkSaeFits(file, arch, 'MiniGrid-X', 12)).toThrow(
      /width 8, blocks.0.hook_resid_mid has width 12/,
    );
    expect(() => checkSaeFits(file, { ...arch, nLayers: 3 }, 'MiniGrid-X', 8)).toThrow(/trained on a model/);
    const wrongHook = saeHook(gemm, sae, 'blocks.0.mlp.hook_post', { mode: 'reconstruct' });
    expect(() => model.run(inputs, { hooks: [wrongHook] })).toThrow(
      'the SAE reads vectors of width 8, blocks.0.mlp.hook_post has width 12',
    );
    const notSae = writeSafetensors({ x: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    expect(() => readSae(notSae)).toThrow('not a dtlens SAE file: no dtlens.sae metadata');
    expect(() => saeHook(gemm, sae, hook, { mode: 'edit', edits: [{ latent: 99, op: 'zero' }] })).toThrow(
      /feature 99 is outside/,
    );
  });
});
