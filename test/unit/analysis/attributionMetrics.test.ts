/**
 * Attribution patching for every metric of the causal layer. Independent truth: the first-order
 * estimate of each row is the derivative of the metric along the patch, `d/dε M(a + ε (a' − a))` at
 * ε = 0, measured by central differences of real runs with a plain hook (a random model with every
 * nonlinearity); on a model with frozen nonlinearities the neuron metric is linear, so the estimate
 * equals real patching; KL's gradient vanishes at the clean run, so noise-mode estimates are 0.
 */
import { describe, expect, it } from 'vitest';
import {
  attributionPatching,
  compareWithPatching,
} from '../../../src/analysis/causal/attributionPatching.ts';
import { type MetricSpec, metricReader } from '../../../src/analysis/causal/metrics.ts';
import { type PatchSweepRequest, patchPair } from '../../../src/analysis/causal/patching.ts';
import { invalidateDerivedWeights } from '../../../src/model/decisionTransformer.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { expectClose } from '../../support/compare.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const METRICS: MetricSpec[] = [
  { kind: 'logit-diff', direction: { positive: 2, negative: 0 } },
  { kind: 'action-prob', action: 1 },
  { kind: 'kl' },
  { kind: 'neuron', layer: 1, neuron: 3 },
  { kind: 'rtg' },
];

describe('attribution patching for every metric', () => {
  const model = randomModel(tinyArch({ gatedMlp: true }), { seed: 11 });
  const pair = patchPair(model, windowInputs(model.arch, 1, 3, 5), windowInputs(model.arch, 1, 3, 9));
  const P = pair.tokenLabels.length;
  const d = model.arch.dModel;

  for (const metric of METRICS)
    it(`${metric.kind}: each resid_pre row's estimate is the metric's derivative along the patch (denoise)`, () => {
      const [est] = attributionPatching(model, pair, 'denoise', [{ kind: 'resid_pre' }], metric);
      const reader = metricReader(model, metric, pair.clean);
      const [vRun, vSource] = [reader.read(pair.corrupted, 0), reader.read(pair.clean, 0)];
      const eps = 1e-3;
      const along = (layer: number, p: number, e: number) => {
        const hook = `blocks.${layer}.hook_resid_pre`;
        const a = pair.corrupted.cache!.get(hook).data;
        const b = pair.clean.cache!.get(hook).data;
        const run = model.run(pair.corruptedInputs, {
          cache: reader.cache,
          hooks: [
            {
              name: hook,
              fn: (act: Tensor) => {
                for (let j = p * d; j < (p + 1) * d; j++) act.data[j] += e * (b[j] - a[j]);
              },
            },
          ],
        });
        return reader.read(run, 0);
      };
      const derivative: number[] = [];
      const estimate: number[] = [];
      for (let layer = 0; layer < model.arch.nLayers; layer++)
        for (const p of [0, P - 4, P - 2, P - 1]) {
          derivative.push((along(layer, p, eps) - along(layer, p, -eps)) / (2 * eps));
          estimate.push(est.attribution[layer * P + p] * (vSource - vRun));
        }
      expect(est.metric).toBe(reader.label);
      expect(Math.max(...derivative.map(Math.abs))).toBeGreaterThan(1e-3);
      expectClose(estimate, derivative, 1, { metric: { abs: 2e-4, rel: 2e-3 } });
    });

  it('kl: the gradient vanishes at the clean run, so every noise-mode estimate is 0', () => {
    const [est] = attributionPatching(model, pair, 'noise', [{ kind: 'head_all_pos_every' }], { kind: 'kl' });
    expect(est.attribution.every((v) => v === 0)).toBe(true);
  });

  it('neuron metric: exact against real patching when the nonlinearities are frozen', async () => {
    const frozen = randomModel(tinyArch({ normalization: null }), { seed: 3 });
    for (const b of frozen.weights.blocks) {
      b.attn.W_Q.data.fill(0);
      b.attn.W_K.data.fill(0);
      b.mlp.b_in.data.fill(50);
    }
    invalidateDerivedWeights(frozen.weights);
    const fp = patchPair(frozen, windowInputs(frozen.arch, 1, 3, 5), windowInputs(frozen.arch, 1, 3, 9));
    const metric: MetricSpec = { kind: 'neuron', layer: 1, neuron: 2 };
    const sweeps: PatchSweepRequest[] = [
      { kind: 'block_every' },
      { kind: 'head_by_pos_every' },
      { kind: 'mlp_neurons', layer: 0 },
    ];
    for (const mode of ['noise', 'denoise'] as const) {
      const compared = await compareWithPatching(
        frozen,
        fp,
        attributionPatching(frozen, fp, mode, sweeps, metric),
        metric,
      );
      for (const c of compared)
        expectClose(c.attribution, c.actual, 1e-4, { metric: 'abs', label: `${mode} ${c.sweep.kind}` });
      expect(compared[0].actual.some((v) => Math.abs(v) > 0.1)).toBe(true);
    }
  });
});
