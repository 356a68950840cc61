import { afterAll, describe, expect, it } from 'vitest';
import type { DTArchitecture } from '../../../src/model/architecture.ts';
import { invalidateDerivedWeights } from '../../../src/model/decisionTransformer.ts';
import { OrtFusedCore } from '../../../src/node/ortCore.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { randomInputs, randomModel, randomStateDict, tinyArch } from '../../support/randomModel.ts';
import { expectClose } from '../../support/compare.ts';
import { countingCore } from '../../support/countingCore.ts';
import { referenceTransformer } from '../../support/referenceForward.ts';

const ort = new OrtFusedCore();
afterAll(() => ort.dispose());

const counted = () => countingCore(ort);

describe('OrtFusedCore (the hook-free core as one ONNX graph)', () => {
  const variants: [string, Partial<DTArchitecture>, ('raw' | 'processed')[]][] = [
    ['LN, relu MLP', {}, ['raw', 'processed']],
    ['LN, gated relu MLP', { gatedMlp: true }, ['raw', 'processed']],
    ['LN, gated gelu MLP', { gatedMlp: true, activationFn: 'gelu' }, ['raw']],
    ['LNPre, silu MLP', { normalization: 'LNPre', activationFn: 'silu' }, ['raw']],
    ['no normalization, gelu MLP', { normalization: null, activationFn: 'gelu' }, ['raw']],
  ];
  for (const [label, overrides, weightVariants] of variants)
    for (const variant of weightVariants)
      it(`matches the float64 reference and the TS core (${label}, ${variant} weights)`, () => {
        const arch = tinyArch({ ...overrides, nCtx: 11 });
        const core = counted();
        const fused = randomModel(arch, { seed: 5, variant, fusedCore: core });
        const plain = randomModel(arch, { seed: 5, variant });
        const inputs = randomInputs(arch, 3, 4);
        const out = fused.run(inputs, { heads: ['action'] });
        expect(core.served).toBe(1);
        const expected = plain.run(inputs, { heads: ['action'] });
        expectClose(out.transformerOut.data, expected.transformerOut.data, 1e-5, { metric: 'abs' });
        expectClose(out.actionPreds!.data, expected.actionPreds!.data, 1e-5, { metric: 'abs' });
        // the float64 reference restates the relu MLP only
        if (variant === 'raw' && arch.activationFn === 'relu') {
          const tokens = fused.toTokens(inputs);
          const [B, P, d] = tokens.shape;
          const sd = randomStateDict(arch, 5);
          for (let b = 0; b < B; b++) {
            const rows = Array.from({ length: P }, (_, p) =>
              Array.from(tokens.data.subarray((b * P + p) * d, (b * P + p + 1) * d)),
            );
            const want = referenceTransformer(sd, arch, rows).flat();
            expectClose(out.transformerOut.data.subarray(b * P * d, (b + 1) * P * d), want, 2e-5, {
              metric: 'abs',
            });
          }
        }
      });

  it('serves hook-free runs, cached or not, and leaves hooked, core: hooked and uncovered runs to the TS core', () => {
    const arch = tinyArch({ gatedMlp: true });
    const core = counted();
    const model = randomModel(arch, { seed: 2, fusedCore: core });
    const inputs = randomInputs(arch, 2, 3);
    const hooked = model.run(inputs, { hooks: [{ name: 'blocks.0.hook_resid_pre', fn: () => undefined }] });
    // `core: 'hooked'`: the same core as hooked runs, bit for bit, without hooks.
    const baseline = model.run(inputs, { core: 'hooked' });
    expect(baseline.transformerOut.data).toEqual(hooked.transformerOut.data);
    expect(core.served).toBe(0);
    model.run(inputs);
    model.run(inputs, { cache: true });
    model.run(inputs, { cache: ['blocks.1.hook_resid_mid'], lastPositionOnly: true });
    expect(core.served).toBe(3);
    const solu = tinyArch({ activationFn: 'solu_ln', normalization: null });
    const soluCore = counted();
    const soluModel = randomModel(solu, { seed: 2, fusedCore: soluCore });
    const out = soluModel.run(randomInputs(solu, 2, 3)).transformerOut;
    expect(soluCore.served).toBe(0);
    expect(out.data).toEqual(
      randomModel(solu, { seed: 2 }).run(randomInputs(solu, 2, 3)).transformerOut.data,
    );
    const tokens = new Tensor(new Float32Array(8 * 8), [1, 8, 8]);
    expect(ort.run(solu, soluModel.weights, tokens, { cache: ['blocks.0.mlp.hook_mid'] })).toBeNull();
  });

  for (const lastPositionOnly of [false, true])
    it(`caches every hook point as the TS core does${lastPositionOnly ? ' in a last-position run' : ''}`, () => {
      for (const overrides of [
        { gatedMlp: true },
        { normalization: 'LNPre' as const, activationFn: 'silu' as const },
        { normalization: null, nLayers: 3 },
        { nLayers: 1, activationFn: 'gelu' as const },
      ]) {
        const arch = tinyArch({ ...overrides, nCtx: 11 });
        const core = counted();
        const fused = randomModel(arch, { seed: 6, variant: 'raw', fusedCore: core });
        const plain = randomModel(arch, { seed: 6, variant: 'raw' });
        const inputs = randomInputs(arch, 3, 4);
        const label = JSON.stringify(overrides);
        // Every hook point at once, and one at a time (each its own graph outputs).
        for (const cache of [true, ...plain.hookNames.map((n) => [n])]) {
          const a = fused.run(inputs, { cache, lastPositionOnly });
          const b = plain.run(inputs, { cache, lastPositionOnly });
          expect(a.cache!.names.sort()).toEqual(b.cache!.names.sort());
          expect(a.cache!.nTokens).toBe(b.cache!.nTokens);
          for (const name of b.cache!.names) {
            expect(a.cache!.get(name).shape, `${label} ${name}`).toEqual(b.cache!.get(name).shape);
            expectClose(a.cache!.get(name).data, b.cache!.get(name).data, 1e-5, {
              metric: 'abs',
              label: `${label} ${name}`,
            });
          }
          expect(a.transformerOut.shape).toEqual(b.transformerOut.shape);
          expectClose(a.transformerOut.data, b.transformerOut.data, 1e-5, { metric: 'abs' });
          expectClose(a.actionPreds!.data, b.actionPreds!.data, 1e-5, { metric: 'abs' });
        }
        expect(core.served, label).toBe(1 + plain.hookNames.length);
      }
    });

  it('reads the weights on every call (training updates them in place)', () => {
    const arch = tinyArch();
    const model = randomModel(arch, { seed: 4, fusedCore: counted() });
    const reference = randomModel(arch, { seed: 4, gemm: new TsGemm() });
    const inputs = randomInputs(arch, 2, 3);
    model.run(inputs);
    for (const m of [model, reference]) {
      m.weights.blocks[1].mlp.W_out.data[3] += 0.5;
      m.weights.W_pos.data[0] -= 0.25;
      invalidateDerivedWeights(m.weights);
    }
    expectClose(model.run(inputs).transformerOut.data, reference.run(inputs).transformerOut.data, 1e-5, {
      metric: 'abs',
    });
  });

  it('rejects windows longer than the context like the TS core', () => {
    const arch = tinyArch({ nCtx: 5 });
    const model = randomModel(arch, { fusedCore: counted() });
    const tokens = new Tensor(new Float32Array(8 * arch.dModel), [1, 8, arch.dModel]);
    expect(() => model.runFromTokens(tokens)).toThrow(/8 token positions exceed the model's context of 5/);
  });
});
