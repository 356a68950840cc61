/**
 * Parity of the dynamic analyses with the original Python (TransformerLens 1.2.2 + DTI), on the golden
 * MemoryGatedMLP pairs: clean and corrupted windows of pairA and pairC, raw weights and dti-compat
 * (the golden "processed" variant). Every tensor listed in the manifest for these analyses is compared
 * (relative 1e-5, absolute near zero); the worst error per tensor is printed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { analysisRun } from '../../src/analysis/dynamic/index.ts';
import { attentionPatterns } from '../../src/analysis/dynamic/attention.ts';
import { decomposeLogitDiff } from '../../src/analysis/dynamic/decomposition.ts';
import { logitDirection } from '../../src/analysis/dynamic/logitDirection.ts';
import { logitLens } from '../../src/analysis/dynamic/logitLens.ts';
import { residNorms } from '../../src/analysis/dynamic/residNorms.ts';
import type { AnalysisRun, NdArray } from '../../src/analysis/dynamic/run.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { type RawTensor, toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { createModel } from '../../src/model/load.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

const TOLERANCE = 1e-5;
const table = new ErrorTable();
const DIR = ['golden', 'analysis', 'MemoryGatedMLP'];

interface Manifest {
  token_labels: string[];
  pairs: Record<string, { variants: Record<string, { labels: Record<string, string[]> }> }>;
}

function compare(what: string, actual: ArrayLike<number>, expected: RawTensor, shape?: readonly number[]) {
  if (shape) expect(shape, what).toEqual(expected.shape);
  const d = discrepancy(actual, toFloat32(expected));
  table.record(what.replace(/^\S+ \S+ \S+ /, ''), what, d);
  expect(d.worst, `${what} (worst at flat index ${d.index})`).toBeLessThanOrEqual(TOLERANCE);
}

const flat = (rows: number[][]) => rows.flat();
const layerSlice = (a: NdArray, l: number) => {
  const n = a.data.length / a.shape[0];
  return a.data.subarray(l * n, (l + 1) * n);
};

describeWithShared('dynamic analyses: parity with TransformerLens 1.2.2 / DTI on MemoryGatedMLP', () => {
  afterAll(() => console.log(table.format('worst |dtlens - python| / max(1, |python|) per golden tensor')));

  const manifest = readSharedJson<Manifest>(...DIR, 'manifest.json');
  const ckpt = loadCheckpoint(
    new Uint8Array(readFileSync(sharedPath('models', 'MemoryGatedMLP.pt'))),
    'MemoryGatedMLP.pt',
  );
  const variants = { raw: 'raw', processed: 'dti-compat' } as const;

  for (const pair of ['pairA', 'pairC']) {
    for (const [golden, weights] of Object.entries(variants)) {
      it(`${pair} ${golden} (${weights} weights): clean and corrupted windows`, () => {
        const model = createModel(ckpt, { weights, gemm: new TsGemm() });
        const g = readSafetensors(
          new Uint8Array(readFileSync(sharedPath(...DIR, `${pair}_${golden}.safetensors`))),
        ).tensors;
        const labels = manifest.pairs[pair].variants[golden].labels;
        const get = (name: string) => {
          const t = g.get(name);
          expect(t, name).toBeDefined();
          return t!;
        };
        for (const role of ['clean', 'corrupted']) {
          const at = (name: string) => get(`${role}.${name}`);
          const states = at('states');
          const run: AnalysisRun = analysisRun(model, {
            states: new Tensor(toFloat32(states), states.shape),
            actions: Int32Array.from(toFloat32(at('actions'))),
            rtgs: toFloat32(at('rtgs')),
            timesteps: Int32Array.from(toFloat32(at('timesteps'))),
          });
          const tag = `${pair} ${golden} ${role}`;
          expect(run.tokenLabels).toEqual(manifest.token_labels);
          compare(`${tag} logit_dir`, logitDirection(run.cache).vector, get('logit_dir'));

          const pattern = attentionPatterns(run);
          const scores = attentionPatterns(run, { values: 'scores' });
          for (let l = 0; l < model.arch.nLayers; l++) {
            compare(`${tag} attn_pattern.L${l}`, layerSlice(pattern.data, l), at(`attn_pattern.L${l}`));
            compare(`${tag} attn_scores.L${l}`, layerSlice(scores.data, l), at(`attn_scores.L${l}`));
          }

          const { cache } = run;
          const acc = cache.accumulatedResid(-1, { inclMid: true, applyLn: true });
          expect(acc.labels).toEqual(labels.accumulated_resid_labels);
          compare(
            `${tag} accumulated_resid_ln`,
            acc.components.data,
            at('accumulated_resid_ln'),
            acc.components.shape,
          );
          const dec = cache.decomposeResid(-1, { applyLn: true });
          compare(
            `${tag} decompose_resid_ln`,
            dec.components.data,
            at('decompose_resid_ln'),
            dec.components.shape,
          );
          const shr = cache.stackHeadResults(-1, { applyLn: true });
          compare(
            `${tag} stack_head_results_ln`,
            shr.components.data,
            at('stack_head_results_ln'),
            shr.components.shape,
          );
          const full = cache.getFullResidDecomposition(-1, { applyLn: true, expandNeurons: false });
          compare(
            `${tag} full_resid_decomposition_ln`,
            full.components.data,
            at('full_resid_decomposition_ln'),
            full.components.shape,
          );

          const lens = logitLens(run);
          expect(lens.layers).toEqual(labels.accumulated_resid_labels);
          compare(`${tag} logit_lens.logit_diff`, lens.logitDiff, at('logit_lens.logit_diff'));
          compare(
            `${tag} logit_lens.action_logits`,
            lens.actionLogits.data,
            at('logit_lens.action_logits'),
            lens.actionLogits.shape,
          );
          compare(`${tag} logit_dif (lens)`, [lens.actualLogitDiff], at('logit_dif'));

          const dla = decomposeLogitDiff(run);
          compare(`${tag} logit_dif`, [dla.logitDiff], at('logit_dif'));
          expect(dla.layers.labels).toEqual(labels.decompose_resid_labels);
          compare(`${tag} decompose_resid.logit_diff`, dla.layers.values, at('decompose_resid.logit_diff'));
          expect(dla.heads.labels).toEqual(labels.stack_head_results_labels);
          compare(
            `${tag} stack_head_results.logit_diff`,
            flat(dla.heads.grid),
            at('stack_head_results.logit_diff'),
          );
          expect(dla.components.labels).toEqual(labels.full_resid_decomposition_labels);
          compare(
            `${tag} full_resid_decomposition.logit_diff`,
            dla.components.values,
            at('full_resid_decomposition.logit_diff'),
          );
          expect(dla.neurons!.labels).toEqual(labels.full_resid_decomposition_neurons_labels);
          compare(
            `${tag} full_resid_decomposition_neurons.logit_diff`,
            dla.neurons!.values,
            at('full_resid_decomposition_neurons.logit_diff'),
          );
          expect(dla.dti.labels).toEqual(labels.dti_residual_decomp_labels);
          compare(`${tag} dti_residual_decomp`, dla.dti.values, at('dti_residual_decomp'));
          // DTI's decomposition always adds up to the final residual stream (it has no LN scaling).
          expect(Math.abs(dla.dti.check.error)).toBeLessThan(1e-4);
          // With ln_final folded (dti-compat) the TL attributions add up to the logit difference.
          if (weights === 'dti-compat') {
            for (const c of [dla.layers.check, dla.components.check, dla.neurons!.check])
              expect(Math.abs(c.error)).toBeLessThan(1e-4);
            expect(Math.abs(lens.logitDiff.at(-1)! - lens.actualLogitDiff)).toBeLessThan(1e-4);
          } else {
            expect(dla.notes.length).toBe(1);
          }

          const norms = residNorms(run);
          compare(
            `${tag} resid_norms.accumulated`,
            norms.accumulated.norms.data,
            at('resid_norms.accumulated'),
            norms.accumulated.norms.shape,
          );
          compare(
            `${tag} resid_norms.decomposed`,
            norms.decomposed.norms.data,
            at('resid_norms.decomposed'),
            norms.decomposed.norms.shape,
          );
        }
      });
    }
  }
});
