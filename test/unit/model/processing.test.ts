import { describe, expect, it } from 'vitest';
import type { DTArchitecture } from '../../../src/model/architecture.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { expectClose, expectDiffer } from '../../support/compare.ts';
import { randomModel, seededRandom, tinyArch } from '../../support/randomModel.ts';

function inputsFor(arch: DTArchitecture, seed = 11) {
  const rand = seededRandom(seed);
  const T = 3;
  const nObs = 18;
  return {
    states: new Tensor(
      new Float32Array(2 * T * nObs).map(() => Math.floor(rand() * 3)),
      [2, T, ...arch.obsShape],
    ),
    actions: Int32Array.from({ length: 2 * (T - 1) }, () => Math.floor(rand() * 4)),
    rtgs: Float32Array.from({ length: 2 * T }, () => rand()),
    timesteps: Int32Array.from({ length: 2 * T }, (_, i) => i % T),
  };
}

const heads = ['action', 'state', 'reward'] as const;

describe('weight processing', () => {
  for (const gatedMlp of [false, true]) {
    it(`processed weights compute the raw function (LN, ${gatedMlp ? 'gated' : 'plain'} MLP)`, () => {
      const arch = tinyArch({ gatedMlp });
      const inputs = inputsFor(arch);
      const raw = randomModel(arch).run(inputs, { heads });
      const processedModel = randomModel(arch, { variant: 'processed' });
      expect(processedModel.arch.normalization).toBe('LNPre');
      expect(processedModel.weights.lnFinal).toBeUndefined();
      const processed = processedModel.run(inputs, { heads });
      for (const k of ['actionPreds', 'statePreds', 'rewardPreds'] as const) {
        expectClose(raw[k]!.data, processed[k]!.data, 1e-5, { metric: 'abs' });
      }
    });
  }

  it('dti-compat equals raw for plain MLPs but not for gated ones (W_gate left unfolded)', () => {
    const plain = tinyArch();
    const inputsPlain = inputsFor(plain);
    expectClose(
      randomModel(plain).run(inputsPlain).actionPreds!.data,
      randomModel(plain, { variant: 'dti-compat' }).run(inputsPlain).actionPreds!.data,
      1e-5,
      { metric: 'abs' },
    );
    const gated = tinyArch({ gatedMlp: true });
    const inputsGated = inputsFor(gated);
    const compat = randomModel(gated, { variant: 'dti-compat' });
    expect(compat.weights.blocks[0].mlp.W_gate!.data).toEqual(
      randomModel(gated).weights.blocks[0].mlp.W_gate!.data,
    );
    expect(compat.weights.blocks[0].mlp.b_gate).toBeUndefined();
    expectDiffer(
      randomModel(gated).run(inputsGated).actionPreds!.data,
      compat.run(inputsGated).actionPreds!.data,
      1e-3,
    );
  });

  it('folds value biases: b_V becomes zero, hook_v changes, outputs do not', () => {
    const arch = tinyArch({ normalization: null });
    const inputs = inputsFor(arch);
    const raw = randomModel(arch).run(inputs, { cache: true });
    const proc = randomModel(arch, { variant: 'processed' });
    expect(proc.weights.blocks[0].attn.b_V.data.every((v) => v === 0)).toBe(true);
    const out = proc.run(inputs, { cache: true });
    expectClose(raw.actionPreds!.data, out.actionPreds!.data, 1e-5, { metric: 'abs' });
    expectDiffer(
      raw.cache!.get('blocks.0.attn.hook_v').data,
      out.cache!.get('blocks.0.attn.hook_v').data,
      1e-3,
    );
  });

  it('centres the folded readers: every W_Q column sums to zero over d_model', () => {
    const proc = randomModel(tinyArch({ gatedMlp: true }), { variant: 'processed' });
    const { W_Q } = proc.weights.blocks[1].attn;
    const [H, d, dh] = W_Q.shape;
    for (let h = 0; h < H; h++)
      for (let e = 0; e < dh; e++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += W_Q.get(h, i, e);
        expect(Math.abs(s)).toBeLessThan(1e-5);
      }
  });
});
