/**
 * Attribution patching. On a hand-built model whose nonlinearities are frozen (no layer norm, W_Q = W_K
 * = 0 so every attention pattern is the same uniform causal one, and b_in large enough that every ReLU
 * stays in its linear part), the logit difference is linear in every activation, so the first-order
 * estimate equals real patching for every sweep, in both directions. On a random model with all its
 * nonlinearities the estimate differs but still correlates; the gradients are one backward pass.
 */
import { describe, expect, it } from 'vitest';
import {
  attributionPatch,
  compareWithPatching,
  logitDiffGradients,
} from '../../../src/analysis/causal/attributionPatching.ts';
import { preparePair } from '../../../src/analysis/causal/pair.ts';
import { PATCH_SWEEPS, patchSweep } from '../../../src/analysis/causal/patchSweeps.ts';
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

describe('attribution patching', () => {
  const model = frozenModel();
  const pair = preparePair(model, windowInputs(model.arch, 1, 3, 5), windowInputs(model.arch, 1, 3, 9));
  const P = pair.tokens.shape[1];

  for (const direction of ['noise', 'denoise'] as const)
    it(`is exact with frozen nonlinearities and a linear metric (${direction}, every sweep)`, async () => {
      const grads = logitDiffGradients(model, pair, direction);
      let moved = 0;
      for (const sweep of PATCH_SWEEPS) {
        const nodes = patchSweep(model.arch, P, sweep);
        const grid = attributionPatch(model, pair, nodes, grads, direction);
        const cmp = await compareWithPatching(model, pair, grid, nodes, direction);
        expect(cmp.shape).toEqual(nodes.shape);
        cmp.actual.forEach((a, i) =>
          expect(cmp.attribution[i], `${sweep} ${cmp.labels[i]}`).toBeCloseTo(a, 4),
        );
        moved += cmp.actual.reduce((s, a) => s + Math.abs(a), 0);
      }
      expect(moved).toBeGreaterThan(1);
    });

  it('patching everything at the start of layer 0 moves the whole difference (sum over positions = 1)', () => {
    const grads = logitDiffGradients(model, pair, 'noise');
    const grid = attributionPatch(model, pair, patchSweep(model.arch, P, 'block_every'), grads, 'noise');
    const layer0 = grid.attribution.slice(0, P).reduce((a, b) => a + b, 0);
    expect(layer0).toBeCloseTo(1, 4);
  });

  it('approximates real patching on a model with its nonlinearities', async () => {
    const arch = tinyArch({ gatedMlp: true });
    const m = randomModel(arch, { seed: 2 });
    const p = preparePair(m, windowInputs(arch, 1, 3, 5), windowInputs(arch, 1, 3, 9));
    const nodes = patchSweep(arch, P, 'block_every');
    const cmp = await compareWithPatching(
      m,
      p,
      attributionPatch(m, p, nodes, logitDiffGradients(m, p)),
      nodes,
    );
    expect(cmp.correlation).toBeGreaterThan(0.5);
    expect(cmp.worst[0].error).toBeGreaterThan(1e-6);
    expect(cmp.worst[0].error).toBe(Math.max(...cmp.actual.map((a, i) => Math.abs(a - cmp.attribution[i]))));
  });
});
