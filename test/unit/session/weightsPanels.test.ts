/**
 * The Weights panels on a tiny model with a 7×7×20 observation: every panel computes with its default
 * settings and its figure renders; view-only settings reuse the heavy results (memo per model); bad
 * settings are typed errors.
 */
import { describe, expect, it } from 'vitest';
import { staticFigure } from '../../../src/analysis/figures/staticFigures.ts';
import type { StaticData } from '../../../src/analysis/static/requests.ts';
import { DtlensError } from '../../../src/errors.ts';
import { renderFigureSvg } from '../../../src/node/figures.ts';
import { defaultParams } from '../../../src/session/params.ts';
import {
  WEIGHTS_PANELS,
  compositionPanel,
  metaCompositionPanel,
  ovCircuitPanel,
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
});
