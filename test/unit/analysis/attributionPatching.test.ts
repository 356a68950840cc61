/**
 * Attribution patching. On a hand-built model whose nonlinearities are frozen (no layer norm, W_Q = W_K
 * = 0 so every attention pattern is the same uniform causal one, and b_in large enough that every ReLU
 * stays in its linear part), the logit difference is linear in every activation, so the first-order
 * estimate equals real patching for every sweep, in both directions. On a random model with all its
 * nonlinearities the estimate differs but still correlates; the gradients are one backward pass.
 */
import { describe, expect, it } from 'vitest';
import {
  attributionPatching,
  compareWithPatching,
} from '../../../src/analysis/causal/attributionPatching.ts';
import { type PatchSweepRequest, patchPair } from '../../../src/analysis/causal/patching.ts';
import { invalidateDerivedWeights } from '../../../src/model/decisionTransformer.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

function frozenModel() {
  const arch = tinyArch({ normalization: null });
  const model = randomModel(arch, { seed: 3 });
  for (const b of model.weights.blocks) {
    b.attn.W_Q.data.fill(0);
    b.attn.W_K.data.fill(0);
    b.mlp.b_in.data.fill(50);
  }
  invalidateDerivedWeights(model.weights);
  return model;
}

const SWEEPS: PatchSweepRequest[] = [
  { kind: 'block_every' },
  { kind: 'resid_mid' },
  { kind: 'head_all_pos_every' },
  { kind: 'head_by_pos_every' },
  { kind: 'mlp_neurons', layer: 0 },
  { kind: 'mlp_neurons_by_pos', layer: 1 },
];

describe('attribution patching', () => {
  const model = frozenModel();
  const pair = patchPair(model, windowInputs(model.arch, 1, 3, 5), windowInputs(model.arch, 1, 3, 9));

  for (const mode of ['noise', 'denoise'] as const)
    it(`is exact with frozen nonlinearities and a linear metric (${mode}, every sweep)`, async () => {
      const estimates = attributionPatching(model, pair, mode, SWEEPS);
      const compared = await compareWithPatching(model, pair, estimates);
      let moved = 0;
      for (const cmp of compared) {
        expect(cmp.shape).toEqual(cmp.axes.map((a) => a.labels.length));
        cmp.actual.forEach((a, i) => expect(cmp.attribution[i], `${cmp.sweep.kind} ${i}`).toBeCloseTo(a, 4));
        moved += cmp.actual.reduce((s, a) => s + Math.abs(a), 0);
      }
      expect(moved).toBeGreaterThan(1);
    });

  it('patching everything at the start of layer 0 moves the whole difference (sum over positions = 1)', () => {
    const [grid] = attributionPatching(model, pair, 'noise', [{ kind: 'resid_pre' }]);
    const P = grid.shape[1];
    expect(grid.attribution.slice(0, P).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('approximates real patching on a model with its nonlinearities', async () => {
    const arch = tinyArch({ gatedMlp: true });
    const m = randomModel(arch, { seed: 2 });
    const p = patchPair(m, windowInputs(arch, 1, 3, 5), windowInputs(arch, 1, 3, 9));
    const [cmp] = await compareWithPatching(
      m,
      p,
      attributionPatching(m, p, 'noise', [{ kind: 'block_every' }]),
    );
    expect(cmp.correlation).toBeGreaterThan(0.5);
    expect(cmp.worst[0].error).toBeGreaterThan(1e-6);
    expect(cmp.worst[0].error).toBe(Math.max(...cmp.actual.map((a, i) => Math.abs(a - cmp.attribution[i]))));
    expect(cmp.worst[0].cell).toMatch(/^component \w+, layer \d, position [RSA]\d$/);
  });
});
