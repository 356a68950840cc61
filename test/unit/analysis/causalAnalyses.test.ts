/**
 * Metrics, patching sweeps, ablation and counterfactual attention on tiny random models, against
 * invariants and hand-computed values: KL of the clean run is 0, patches of positions the corruption
 * did not touch score exactly 0, patching all of a layer's residual gives exactly the source run
 * (score 1 for every metric), sweep shapes and row order follow TL's C order, ablations zero exactly
 * what they name, and the figures carry the raw values.
 */
import { describe, expect, it } from 'vitest';
import { ablate } from '../../../src/analysis/causal/ablation.ts';
import { counterfactualAttention } from '../../../src/analysis/causal/counterfactualAttention.ts';
import { metricReader, recovery, weakCorruptionWarning } from '../../../src/analysis/causal/metrics.ts';
import {
  type PatchSweepRequest,
  activationPatching,
  patchPair,
  patchSweepRows,
} from '../../../src/analysis/causal/patching.ts';
import { corruptWindow } from '../../../src/analysis/causal/variations.ts';
import { patchingFigure } from '../../../src/analysis/figures/patchingFigures.ts';
import {
  ablationAttributionFigure,
  ablationPredictionFigure,
  counterfactualAttentionFigure,
} from '../../../src/analysis/figures/causalFigures.ts';
import { renderFigureSvg } from '../../../src/node/figures.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const arch = tinyArch({ gatedMlp: true });
const model = randomModel(arch);
const clean = windowInputs(arch, 1, 3, 5);
const limits = { nActions: arch.nActions, maxTimestep: 100 };
const rtgOnly = corruptWindow(clean, [{ kind: 'rtg', step: 1, value: 0 }], limits).corrupted;
const P = 8;

describe('metrics', () => {
  it('warns when the corruption barely moves the metric (normalised scores divide by it)', () => {
    expect(weakCorruptionWarning('P(action 0)', 0.0151, 0.0152)).toMatch(
      /^the corruption barely changes the P\(action 0\) \(clean 0\.01510, corrupted 0\.01520\)/,
    );
    expect(weakCorruptionWarning('KL', 0, 0.002)).toBeNull();
    expect(weakCorruptionWarning('logit difference', 3.7, -3.8)).toBeNull();
  });

  const pair = patchPair(model, clean, rtgOnly);
  it('read the runs as defined', () => {
    const ld = metricReader(model, { kind: 'logit-diff' }, pair.clean);
    const x = pair.clean.transformerOut.data.slice((P - 1) * arch.dModel);
    const W = model.weights.actionPredictor.W.data;
    const d = arch.dModel;
    let want = 0;
    for (let j = 0; j < d; j++) want += x[j] * (W[j] - W[d + j]);
    expect(ld.read(pair.clean, 0)).toBeCloseTo(want, 5);
    expect(metricReader(model, { kind: 'kl' }, pair.clean).read(pair.clean, 0)).toBe(0);
    expect(metricReader(model, { kind: 'kl' }, pair.clean).read(pair.corrupted, 0)).toBeGreaterThan(0);
    const probs = [0, 1, 2].map((a) =>
      metricReader(model, { kind: 'action-prob', action: a }, pair.clean).read(pair.clean, 0),
    );
    expect(probs.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
    const neuron = metricReader(model, { kind: 'neuron', layer: 1, neuron: 3 }, pair.clean);
    expect(neuron.read(pair.clean, 0)).toBe(
      pair.clean.cache!.get('blocks.1.mlp.hook_pre').data[(P - 1) * arch.dMlp + 3],
    );
    expect(recovery(3, 1, 5)).toBe(0.5);
    expect(() => metricReader(model, { kind: 'action-prob', action: 3 }, pair.clean)).toThrow(/outside 0..2/);
    expect(() => metricReader(model, { kind: 'neuron', layer: 2, neuron: 0 }, pair.clean)).toThrow(/layer 2/);
  });

  for (const metric of [
    { kind: 'logit-diff' },
    { kind: 'kl' },
    { kind: 'action-prob', action: 2 },
    { kind: 'neuron', layer: 1, neuron: 3 },
    { kind: 'rtg' },
  ] as const) {
    it(`${metric.kind}: untouched positions score 0, a whole-layer patch scores 1, raw values beside`, async () => {
      for (const mode of ['noise', 'denoise'] as const) {
        const [byPos] = await activationPatching(model, pair, mode, [{ kind: 'resid_pre' }], { metric });
        expect(byPos.shape).toEqual([2, P]);
        // Layer 0, every position but R2 (position 3, the corrupted RTG) is untouched by the corruption.
        for (let p = 0; p < P; p++) if (p !== 3) expect(Math.abs(byPos.score[p]), `${mode} pos ${p}`).toBe(0);
        expect(byPos.patched.length).toBe(2 * P);
        expect(Number.isFinite(byPos.clean) && Number.isFinite(byPos.corrupted)).toBe(true);
        // Patching layer 0's residual at R2 carries the whole corruption: the source run, score 1.
        expect(byPos.score[3]).toBeCloseTo(1, 5);
        if (metric.kind === 'rtg') {
          expect(byPos.extra!.label).toBe('reward prediction');
          expect(byPos.extra!.patched.length).toBe(2 * P);
        }
      }
    });
  }

  it('the RTG metric rejects a pair that differs in more than its RTGs', async () => {
    const other = patchPair(model, clean, windowInputs(arch, 1, 3, 9));
    await expect(
      activationPatching(model, other, 'noise', [{ kind: 'resid_pre' }], { metric: { kind: 'rtg' } }),
    ).rejects.toThrow(/RTG tokens only/);
  });
});

describe('patching sweeps', () => {
  it('have TL shapes and C-order rows', () => {
    const labels = Array.from({ length: P }, (_, i) => `t${i}`);
    const shape = (req: PatchSweepRequest) => {
      const { axes, rows } = patchSweepRows(req, arch, labels, 'corrupted');
      const dims = axes.map((a) => a.labels.length);
      expect(rows.length).toBe(dims.reduce((a, n) => a * n, 1));
      return { dims, rows };
    };
    expect(shape({ kind: 'block_every' }).dims).toEqual([3, 2, P]);
    expect(shape({ kind: 'head_all_pos_every' }).dims).toEqual([5, 2, 2]);
    const byPos = shape({ kind: 'head_by_pos_every' });
    expect(byPos.dims).toEqual([5, 2, P, 2]);
    // Row (pattern, layer 1, position 4, head 1): the pattern of L1H1 at destination 4.
    const r = byPos.rows[((4 * 2 + 1) * P + 4) * 2 + 1];
    expect(r).toEqual([
      {
        hook: 'blocks.1.attn.hook_pattern',
        op: { kind: 'set', source: 'corrupted' },
        where: { heads: [1], dest: [4] },
      },
    ]);
    expect(shape({ kind: 'head_pattern_dest_src' }).dims).toEqual([2, 2, P, P]);
    expect(shape({ kind: 'mlp_neurons', layer: 1 }).dims).toEqual([arch.dMlp]);
    expect(shape({ kind: 'mlp_neurons_by_pos', layer: 0 }).dims).toEqual([P, arch.dMlp]);
    expect(() => shape({ kind: 'mlp_neurons', layer: 2 })).toThrow(/MLP layer 2 is outside 0..1/);
  });

  it('reject empty requests and bad modes; figures carry the raw values', async () => {
    const pair = patchPair(model, clean, windowInputs(arch, 1, 3, 9));
    await expect(activationPatching(model, pair, 'noise', [])).rejects.toThrow(/no patching sweep/);
    await expect(activationPatching(model, pair, 'both' as never, [{ kind: 'resid_pre' }])).rejects.toThrow(
      /noise or denoise/,
    );
    const results = await activationPatching(model, pair, 'denoise', [
      { kind: 'block_every' },
      { kind: 'head_all_pos_every' },
      { kind: 'head_by_pos_every' },
      { kind: 'mlp_neurons', layer: 0 },
      { kind: 'head_pattern_dest_src' },
    ]);
    for (const r of results) {
      const fig = patchingFigure(r);
      expect(fig.table.rows.length).toBe(r.score.length);
      expect(fig.table.columns.join('|')).toMatch(
        r.shape.length === 1 ? /score/ : /score\|patched logit difference.*\|clean\|corrupted/,
      );
      expect(renderFigureSvg(fig)).toContain('<svg');
    }
  });
});

describe('ablation', () => {
  it('zeroes exactly the named heads and MLPs; composition in one run', () => {
    const r = ablate(model, clean, { heads: [[1, 0]], mlps: [0], method: 'zero' });
    const after = r.decompositionAfter.components;
    expect(after.values[after.labels.indexOf('L1H0')]).toBe(0);
    expect(after.values[after.labels.indexOf('0_mlp_out')]).toBe(0);
    expect(after.values[after.labels.indexOf('L1H1')]).not.toBe(0);
    expect(r.interventions.length).toBe(2);
    expect(r.before.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
    expect(r.logitDiffAfter).not.toBe(r.logitDiffBefore);
    expect(renderFigureSvg(ablationPredictionFigure(r))).toContain('<svg');
    expect(ablationAttributionFigure(r).table.rows.length).toBe(2 * after.labels.length);
  });

  it("mean ablation: DTI's own-vector mean by default, the dataset mean with a dataset", () => {
    const own = ablate(model, clean, { heads: [[0, 1]], method: 'mean' });
    expect(own.interventions[0].op).toEqual({ kind: 'mean', over: 'own' });
    // A dataset of copies of the window itself: its mean is the window's own activation (a no-op).
    const copies = model.run(
      {
        ...clean,
        states: clean.states,
        actions: clean.actions,
        rtgs: clean.rtgs,
        timesteps: clean.timesteps,
      },
      { cache: true },
    ).cache!;
    const same = ablate(
      model,
      clean,
      { heads: [[0, 1]], neurons: [[1, 2]], method: 'mean' },
      { dataset: copies },
    );
    expect(same.logitDiffAfter).toBe(same.logitDiffBefore);
  });

  it('rejects empty and impossible ablations', () => {
    expect(() => ablate(model, clean, { method: 'zero' })).toThrow(/nothing to ablate/);
    expect(() => ablate(model, clean, { heads: [[0, 0]], method: 'resample' })).toThrow(/needs a dataset/);
    expect(() => ablate(model, clean, { heads: [[0, 5]], method: 'zero' })).toThrow(/index 5 is outside/);
  });
});

describe('counterfactual attention', () => {
  it('is the pattern difference; an identity intervention gives exactly zero', () => {
    const corrupted = windowInputs(arch, 1, 3, 9);
    const r = counterfactualAttention(model, clean, { kind: 'corrupted', inputs: corrupted });
    const c = model.run(clean, { cache: true }).cache!;
    const k = model.run(corrupted, { cache: true }).cache!;
    const H = arch.nHeads;
    const a = c.get('blocks.1.attn.hook_pattern').data;
    const b = k.get('blocks.1.attn.hook_pattern').data;
    for (let i = 0; i < H * P * P; i++) expect(r.diff.data[H * P * P + i]).toBe(Math.fround(b[i] - a[i]));
    const id = counterfactualAttention(model, clean, {
      kind: 'interventions',
      row: [{ hook: 'blocks.0.hook_resid_pre', op: { kind: 'set', source: 'clean' } }],
      sources: { clean: c },
    });
    expect(id.diff.data.every((v) => v === 0)).toBe(true);
    expect(counterfactualAttentionFigure(r, { layer: 1, head: 0 }).table.rows.length).toBe((P * (P + 1)) / 2);
    expect(renderFigureSvg(counterfactualAttentionFigure(r))).toContain('<svg');
  });
});
