/**
 * The Weights panels on a tiny model with a 7×7×20 observation: every panel computes with its default
 * settings and its figure renders; view-only settings reuse the heavy results (memo per model); bad
 * settings are typed errors.
 */
import { describe, expect, it } from 'vitest';
import { staticFigure } from '../../../src/analysis/figures/staticFigures.ts';
import { fullOV } from '../../../src/analysis/static/circuits.ts';
import { directionsVocabulary } from '../../../src/analysis/static/directions.ts';
import { type StaticData, computeStatic } from '../../../src/analysis/static/requests.ts';
import { headSvd } from '../../../src/analysis/static/svd.ts';
import { neuronVocabulary } from '../../../src/analysis/static/vocabularies.ts';
import { DtlensError } from '../../../src/errors.ts';
import { renderFigureSvg } from '../../../src/node/figures.ts';
import { defaultParams } from '../../../src/session/params.ts';
import {
  WEIGHTS_PANELS,
  compositionPanel,
  congruencePanel,
  embeddingsPanel,
  metaCompositionPanel,
  ovCircuitPanel,
  qkCircuitPanel,
  savedDirections,
  svdPanel,
} from '../../../src/session/panels/weights.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';

const model = randomModel(tinyArch({ obsShape: [7, 7, 20], nActions: 7 }), { variant: 'processed' });

describe('Weights panels', () => {
  for (const panel of WEIGHTS_PANELS)
    it(`${panel.id}: computes with default settings and draws its figure`, () => {
      const params = defaultParams(panel.params);
      const data = panel.compute(model, params) as StaticData;
      expect(data.analysis).toBe(panel.id);
      expect(renderFigureSvg(staticFigure(data, params))).toContain('<svg');
      expect(structuredClone(data)).toEqual(data);
    });

  it('meta-composition graph: one arrow per later pair above the random band', () => {
    const p = { ...defaultParams(metaCompositionPanel.params), figure: 'graph' };
    const d = metaCompositionPanel.compute(model, p) as StaticData & { analysis: 'meta-composition' };
    const fig = staticFigure(d, p);
    const nR = d.meta.readers.length;
    const expected = d.meta.baselines.filter(
      (b, k) => d.meta.later.data[k] === 1 && d.meta.scores.data[k] > b.hi,
    ).length;
    expect(fig.table.rows).toHaveLength(expected);
    expect(nR).toBeGreaterThan(0);
    expect(renderFigureSvg(fig)).toContain('<svg');
  });

  it('view settings reuse the computed scores; new models compute afresh', () => {
    const p = defaultParams(compositionPanel.params);
    const a = compositionPanel.compute(model, p) as StaticData & { analysis: 'composition' };
    const b = compositionPanel.compute(model, { ...p, figure: 'graph', search: 'L1' }) as typeof a;
    expect(b.scores).toBe(a.scores);
    expect(b.top.every((e) => e.writer.includes('L1') || e.reader.includes('L1'))).toBe(true);
    const other = randomModel(tinyArch({ obsShape: [7, 7, 20], nActions: 7 }), { seed: 2 });
    expect((compositionPanel.compute(other, p) as typeof a).scores).not.toBe(a.scores);
  });

  it('bad settings are typed errors', () => {
    const p = defaultParams(ovCircuitPanel.params);
    const data = ovCircuitPanel.compute(model, p) as StaticData;
    expect(() => staticFigure(data, { ...p, figure: 'heatmap', head: 'L7H0' })).toThrow(
      /head L7H0 does not exist/,
    );
    expect(() => staticFigure(data, { ...p, figure: 'gridmap', column: 'jump' })).toThrow(DtlensError);
    expect(() => staticFigure(data, { ...p, figure: 'gridmap', channels: 'dragon' })).toThrow(
      /channel "dragon" does not exist/,
    );
  });

  it('embeddings "keep" stores PCA components that the OV and QK panels read as "directions"', () => {
    const fresh = randomModel(tinyArch({ obsShape: [7, 7, 20], nActions: 7 }), { seed: 3 });
    const ov = { ...defaultParams(ovCircuitPanel.params), vocab: 'directions', figure: 'strip' };
    expect(() => ovCircuitPanel.compute(fresh, ov)).toThrow(/no saved directions/);
    const before = ovCircuitPanel.stateKey!(fresh);
    const emb = embeddingsPanel.compute(fresh, {
      ...defaultParams(embeddingsPanel.params),
      keep: 2,
    }) as StaticData & { analysis: 'embeddings' };
    const kept = savedDirections(fresh)!;
    const d = fresh.arch.dModel;
    expect(kept.labels).toEqual(['state PCA PC1', 'state PCA PC2']);
    expect(Array.from(kept.vectors.data)).toEqual(Array.from(emb.pca!.components.data.slice(0, 2 * d)));
    expect(ovCircuitPanel.stateKey!(fresh)).not.toBe(before);
    const c = ovCircuitPanel.compute(fresh, ov) as StaticData & { analysis: 'ov-circuit' };
    const expected = fullOV(fresh, directionsVocabulary(kept, d));
    expect(c.circuit.rowLabels).toEqual(['state PCA PC1', 'state PCA PC2']);
    expect(Array.from(c.circuit.values.data)).toEqual(Array.from(expected.values.data));
    const qk = qkCircuitPanel.compute(fresh, {
      ...defaultParams(qkCircuitPanel.params),
      vocab: 'directions',
      selectKeys: '',
      figure: 'heatmap',
    }) as StaticData & { analysis: 'qk-circuit' };
    expect(qk.circuit.rowLabels).toEqual(kept.labels);
    // another model has none; a direction set of the wrong width is a typed error
    expect(savedDirections(model)).toBeUndefined();
    const narrow = { ...kept, vectors: { shape: [2, d - 1], data: kept.vectors.data.slice(0, 2 * (d - 1)) } };
    expect(() => computeStatic('ov-circuit', fresh, { vocab: 'directions' }, narrow)).toThrow(
      new RegExp(`width ${d - 1}, the model's residual stream has ${d}`),
    );
  });

  it('circuit and congruence strips keep only the points whose labels contain the search text', () => {
    const p = { ...defaultParams(ovCircuitPanel.params), figure: 'strip' };
    const d = ovCircuitPanel.compute(model, p) as StaticData & { analysis: 'ov-circuit' };
    const all = staticFigure(d, p).table.rows;
    const keyRows = all.filter((r) => String(r[1]).includes('key'));
    const fig = staticFigure(d, { ...p, search: 'KEY' });
    expect(fig.table.rows).toEqual(keyRows);
    expect(keyRows.length).toBe(d.circuit.heads.length * 49 * d.circuit.colLabels.length);
    expect(staticFigure(d, { ...p, search: 'L1H0' }).table.rows.every((r) => r[0] === 'L1H0')).toBe(true);
    expect(() => staticFigure(d, { ...p, search: 'dragon' })).toThrow(/no label contains 'dragon'/);
    const cp = { ...defaultParams(congruencePanel.params), vocab: 'position' };
    const cd = congruencePanel.compute(model, cp) as StaticData & { analysis: 'congruence' };
    const rows = staticFigure(cd, { ...cp, search: 'S2' }).table.rows;
    expect(rows).toHaveLength(cd.congruence!.readerLabels.length);
    expect(rows.every((r) => r[1] === 'S2')).toBe(true);
  });

  it('SVD read-out in earlier heads’ outputs and in neurons', () => {
    const p = { ...defaultParams(svdPanel.params), figure: 'readout', k: 2 };
    const heads = svdPanel.compute(model, { ...p, vocab: 'head-outputs', side: 'out' }) as StaticData & {
      analysis: 'svd';
    };
    const r = heads.readout!;
    const [L, H, k, n] = r.values.shape;
    expect(k).toBe(2);
    expect(n).toBe(L * H * 2);
    expect(r.labels.slice(0, 3)).toEqual(['L0H0D0', 'L0H0D1', 'L0H1D0']);
    // OV output directions read in themselves: orthonormal per head
    for (let i = 0; i < L * H; i++)
      for (let c = 0; c < 2; c++)
        for (let c2 = 0; c2 < 2; c2++)
          expect(r.values.data[(i * k + c) * n + i * 2 + c2]).toBeCloseTo(c === c2 ? 1 : 0, 5);
    // neurons: the input side reads W_out rows, the output side W_in columns (brute force)
    const svd = headSvd(model, 'OV');
    const [, , dm, dh] = svd.U.shape;
    for (const [side, src, neuronSide] of [
      ['in', svd.U, 'out'],
      ['out', svd.V, 'in'],
    ] as const) {
      const out = svdPanel.compute(model, { ...p, vocab: 'neurons', layer: 1, side }) as typeof heads;
      const v = neuronVocabulary(model, 1, neuronSide);
      expect(out.readout!.vocabulary).toBe(v.name);
      const nN = v.labels.length;
      const head = 2 % (L * H);
      let dot = 0;
      for (let j = 0; j < dm; j++) dot += src.data[(head * dm + j) * dh + 1] * v.vectors.data[3 * dm + j];
      expect(out.readout!.values.data[(head * 2 + 1) * nN + 3]).toBeCloseTo(dot, 5);
    }
    expect(() => svdPanel.compute(model, { ...p, vocab: 'neurons', layer: 9 })).toThrow(DtlensError);
  });
});
