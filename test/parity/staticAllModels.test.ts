/**
 * Every static analysis and figure runs on every model dtlens ships or reads (../shared/models: DTI's
 * checkpoints incl. 3-channel and legacy ones; models/: dtlens's own), in raw weights and, for
 * layer-norm models, also processed and dti-compat: results have the model's shapes and finite values.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  circuitGridmapFigure,
  circuitStripFigure,
  compositionGraphFigure,
  compositionMapFigure,
  compositionStripFigure,
  congruenceStripFigure,
  headInputFigure,
  metaCompositionFigure,
  metaCompositionMapFigure,
  parameterFigure,
  pcGridmapFigure,
  screeFigure,
  similarityFigure,
  singularValuesFigure,
  svdReadoutFigure,
} from '../../src/analysis/figures/index.ts';
import {
  compositionGraph,
  compositionScores,
  congruenceWithPredictor,
  embeddingPca,
  fullOV,
  headInputCongruence,
  headSvd,
  metaComposition,
  parameterStats,
  positionVocabulary,
  similarityMatrix,
  stateVocabulary,
  staticResults,
  svdReadout,
  unembedVocabulary,
} from '../../src/analysis/static/index.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { createModel } from '../../src/model/load.ts';
import type { WeightVariant } from '../../src/model/processing.ts';
import { renderFigureSvg } from '../../src/node/figures.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

const modelFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.(pt|safetensors)$/.test(f))
    .map((f) => join(dir, f));

function checkModel(file: string) {
  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(file)), file);
  const variants: WeightVariant[] =
    ckpt.model.layerNorm === 'LN' ? ['raw', 'processed', 'dti-compat'] : ['raw'];
  for (const weights of variants)
    it(`${file.split('/').pop()} (${weights})`, () => {
      const m = createModel(ckpt, { weights, gemm: new TsGemm() });
      const { nLayers: L, nHeads: H, dModel: d, dHead: dh } = m.arch;
      const { tensors } = staticResults(m, { baselineSamples: 4 });
      expect(tensors.ov_circuit.shape).toEqual([L, H, d, d]);
      expect(tensors['ov_factored.S'].shape).toEqual([L, H, dh]);
      const [X, Y, C] = m.arch.obsShape;
      expect(tensors['full_ov.state_action'].shape).toEqual([L, H, C, X, Y, m.arch.nActions]);
      for (const [name, t] of Object.entries(tensors)) {
        const bad = t.data.findIndex((v) => !Number.isFinite(v));
        expect(bad, `${name} has a non-finite value`).toBe(-1);
      }
      const comp = compositionScores(m, { baselineSamples: 4 });
      const meta = metaComposition(m, { baselineSamples: 4 });
      const svd = headSvd(m, 'OV');
      const state = stateVocabulary(m);
      const ov = fullOV(m, state);
      const channel = state.groups![0];
      const figures = [
        compositionMapFigure(comp),
        compositionStripFigure(comp),
        compositionGraphFigure(compositionGraph(comp, 0.1)),
        metaCompositionFigure(meta),
        metaCompositionMapFigure(meta),
        circuitStripFigure(fullOV(m, positionVocabulary(m)), 'OV'),
        circuitGridmapFigure(ov, 'OV', 'L0H0', unembedVocabulary(m).labels[0], [channel]),
        singularValuesFigure(svd),
        svdReadoutFigure(svdReadout(m, svd, 'out', unembedVocabulary(m), 2), 'L0H0'),
        congruenceStripFigure(congruenceWithPredictor(m, positionVocabulary(m))),
        headInputFigure(headInputCongruence(m, positionVocabulary(m))),
        similarityFigure(similarityMatrix(positionVocabulary(m)), 'positions'),
        screeFigure(embeddingPca(state, [0, 1, 2])),
        pcGridmapFigure(embeddingPca(state, [0, 1, 2]), 0, [channel]),
        parameterFigure(parameterStats(m), 'negLogStd'),
      ];
      for (const f of figures) expect(renderFigureSvg(f)).toContain('<svg');
    });
}

describeWithShared('static analyses run on every DTI checkpoint in ../shared/models', () => {
  for (const f of modelFiles(sharedPath('models'))) checkModel(f);
});

describe("static analyses run on dtlens's own models", () => {
  for (const f of modelFiles(resolve(import.meta.dirname, '../../models'))) checkModel(f);
});
