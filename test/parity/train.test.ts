/**
 * Gradients on a real DTI checkpoint (MemoryGatedMLP.pt: 2 layers, LN, gated MLP, n_ctx 26): the
 * logit difference left − right at the last s token (dti_spec.md §5.0), differentiated by `backward`
 * from one cached forward, against central differences of the independent float64 reference forward
 * (test/support/referenceForward.ts), for token embeddings (attribution patching's input) and weights.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { makeDtiEnv } from '../../src/env/index.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import type { RawTensor } from '../../src/io/rawTensor.ts';
import { createModel } from '../../src/model/load.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { backward } from '../../src/train/backward.ts';
import { type WindowArrays, writeWindow } from '../../src/train/sampler.ts';
import { referenceTransformer } from '../support/referenceForward.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';
import { expectGradient } from '../unit/train/support.ts';

describeWithShared('backward on MemoryGatedMLP.pt vs float64 finite differences', () => {
  it('matches for hook_embed and block weights', () => {
    const ckpt = loadCheckpoint(new Uint8Array(readFileSync(sharedPath('models/MemoryGatedMLP.pt'))));
    const model = createModel(ckpt, { gemm: new TsGemm() });
    const { arch } = model;
    const d = arch.dModel;
    // a real window: three steps of the env after reset, left-padded to 9 timesteps
    const env = makeDtiEnv({ envId: ckpt.env.envId, oneHotObs: true });
    const frames = [env.reset(42).image.slice()];
    const actions = [2, 2];
    for (const a of actions) frames.push(env.step(a).obs.image.slice());
    const T = model.maxLen;
    const cell = frames[0].length;
    const w: WindowArrays = {
      states: new Float32Array(T * cell),
      actions: new Int32Array(T - 1).fill(arch.nActions),
      rtgs: new Float32Array(T),
      timesteps: new Int32Array(T),
      targets: new Int32Array(T),
      T,
      cell,
    };
    writeWindow(w, 0, 2, {
      observation: (t) => frames[t],
      action: (t) => actions[t] ?? arch.nActions,
      rtg: () => 0.9,
    });
    const inputs = {
      states: new Tensor(w.states, [1, T, ...arch.obsShape]),
      actions: w.actions,
      rtgs: w.rtgs,
      timesteps: w.timesteps,
    };
    const tokens = model.toTokens(inputs);
    const run = model.runFromTokens(tokens, { cache: true });
    const P = tokens.shape[1];
    const WU = model.weights.actionPredictor.W.data;
    const dir = Float64Array.from({ length: d }, (_, j) => WU[0 * d + j] - WU[1 * d + j]);
    const dOut = new Float32Array(P * d);
    dOut.set(Float32Array.from(dir), (P - 1) * d);
    const { activationGrads, weightGrads } = backward(model, run.cache!, {
      transformerOut: new Tensor(dOut, [1, P, d]),
    });

    const sd64 = new Map<string, Float64Array>(
      [...ckpt.weights].map(([k, v]) => [k, Float64Array.from(v.data as Float32Array)]),
    );
    const asRaw = new Map(
      [...sd64].map(([k, v]) => [k, { dtype: 'F32', shape: [], data: v } as unknown as RawTensor]),
    );
    const tok64 = Float64Array.from(tokens.data);
    const metric = () => {
      const rows = Array.from({ length: P }, (_, p) => Array.from(tok64.subarray(p * d, (p + 1) * d)));
      const out = referenceTransformer(asRaw, arch, rows);
      return out[P - 1].reduce((a, v, j) => a + v * dir[j], 0);
    };
    const pick = (n: number, count: number, salt: number) =>
      Array.from({ length: count }, (_, i) => (i * 7919 + salt) % n);
    const tol = { abs: 5e-4, rel: 5e-3 };
    expectGradient(
      activationGrads.get('hook_embed')!.data,
      metric,
      tok64,
      'hook_embed',
      tol,
      pick(P * d, 16, 5),
    );
    for (const name of [
      'transformer.blocks.0.mlp.W_gate',
      'transformer.blocks.1.attn.W_K',
      'transformer.blocks.0.ln1.w',
    ]) {
      expectGradient(
        weightGrads.get(name)!,
        metric,
        sd64.get(name)!,
        name,
        tol,
        pick(sd64.get(name)!.length, 8, 3),
      );
    }
    expect(
      activationGrads
        .get('blocks.1.hook_resid_post')!
        .data.subarray((P - 1) * d)
        .some((v) => v !== 0),
    ).toBe(true);
  });
});
