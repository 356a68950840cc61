/**
 * Analyses across training: composition scores per pair and head types per checkpoint equal the
 * single-model analyses; SAE feature matches recover a permuted, rescaled dictionary; a series of
 * different architectures is a typed error naming the checkpoint.
 */
import { describe, expect, it } from 'vitest';
import {
  compositionAcrossTraining,
  headTypesAcrossTraining,
  saeFeatureMatches,
  saeMatchesAcrossTraining,
} from '../../../src/analysis/features/acrossTraining.ts';
import { initSae } from '../../../src/analysis/features/sae.ts';
import { headTypes } from '../../../src/analysis/scans/headTypes.ts';
import type { WindowDataset } from '../../../src/analysis/scans/windowDataset.ts';
import { compositionScores } from '../../../src/analysis/static/composition.ts';
import { DEFAULT_ENV_CONFIG } from '../../../src/config/config.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { randomInputs, randomModel, tinyArch } from '../../support/randomModel.ts';

const gemm = new TsGemm();
const arch = tinyArch({ nCtx: 8 });
const series = [
  { name: 'b.safetensors', step: 20, model: randomModel(arch, { seed: 2 }) },
  { name: 'a.safetensors', step: 10, model: randomModel(arch, { seed: 1 }) },
];

describe('across training', () => {
  it('composition scores of every pair, in step order, equal each checkpoint’s own', () => {
    const r = compositionAcrossTraining(series);
    expect(r.steps).toEqual([10, 20]);
    const { nLayers: L, nHeads: H } = arch;
    expect(r.pairs).toHaveLength(((3 * (L * (L - 1))) / 2) * H * H);
    const first = r.pairs.findIndex((p) => p.endsWith(' K'));
    expect(r.pairs[first]).toBe('L0H0→L1H0 K');
    const own = [series[1], series[0]].map((s) => compositionScores(s.model).scores.K.data[(0 * L + 1) * H]);
    expect(r.scores[first]).toEqual(own);
    const other = {
      name: 'wide.safetensors',
      step: 30,
      model: randomModel(tinyArch({ nCtx: 8, dModel: 16 })),
    };
    expect(() => compositionAcrossTraining([...series, other])).toThrow(
      /^checkpoint wide.safetensors has dModel = 16, b.safetensors has \d+: a series must share one architecture$/,
    );
  });

  it('head types per checkpoint equal each checkpoint’s own', async () => {
    const inputs = randomInputs(arch, 3, 3);
    const windows: WindowDataset = {
      env: DEFAULT_ENV_CONFIG,
      nActions: arch.nActions,
      obsShape: arch.obsShape,
      maxLen: 3,
      inputs,
      episode: Int32Array.from([0, 1, 2]),
      step: Int32Array.from([2, 2, 2]),
      firstReal: new Int32Array(3),
      targetRtg: new Float32Array(3),
      source: {},
    };
    const r = await headTypesAcrossTraining(series, windows);
    expect(r.steps).toEqual([10, 20]);
    expect(r.types[0]).toEqual((await headTypes(series[1].model, windows)).types);
    expect(r.types[1]).toEqual((await headTypes(series[0].model, windows)).types);
  });

  it('SAE feature matches recover a permuted, rescaled dictionary', () => {
    const a = initSae({ kind: 'topk', dIn: 8, dOut: 8, latents: 6, k: 2, l1: 0 }, 1);
    const perm = [3, 0, 5, 1, 4, 2];
    const b = { ...a, W_dec: new Float32Array(a.W_dec.length) };
    perm.forEach((p, i) =>
      b.W_dec.set(
        a.W_dec.subarray(p * 8, (p + 1) * 8).map((v) => 3 * v),
        i * 8,
      ),
    );
    const m = saeFeatureMatches(gemm, a, b);
    expect(Array.from(m.best)).toEqual([1, 3, 5, 0, 4, 2]);
    m.cosine.forEach((c) => expect(c).toBeCloseTo(1, 5));
    const across = saeMatchesAcrossTraining(gemm, [
      { step: 5, sae: a },
      { step: 1, sae: b },
    ]);
    expect(across.steps).toEqual([1, 5]);
    expect(across.meanCosine[0]).toBeCloseTo(1, 5);
    expect(across.matched).toEqual([1]);
    expect(() => saeMatchesAcrossTraining(gemm, [{ step: 1, sae: a }])).toThrow(/at least two checkpoints/);
    const wide = initSae({ kind: 'topk', dIn: 4, dOut: 4, latents: 6, k: 2, l1: 0 }, 1);
    expect(() => saeFeatureMatches(gemm, a, wide)).toThrow(/width 8 and 4/);
  });
});
