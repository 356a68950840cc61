/** One window at two RTGs: each side equals the window run alone at that RTG; equal RTGs differ by zero. */
import { describe, expect, it } from 'vitest';
import {
  attentionAtTwoRtgs,
  attributionsAtTwoRtgs,
  logitLensAtTwoRtgs,
} from '../../../src/analysis/features/twoRtgs.ts';
import { logitLens } from '../../../src/analysis/dynamic/logitLens.ts';
import { analysisRun } from '../../../src/analysis/dynamic/run.ts';
import { logitDiffAttributions } from '../../../src/analysis/dynamic/decomposition.ts';
import { logitDirection } from '../../../src/analysis/dynamic/logitDirection.ts';
import { randomInputs, randomModel, tinyArch } from '../../support/randomModel.ts';

describe('two RTGs side by side', () => {
  const arch = tinyArch();
  const model = randomModel(arch);
  const window = randomInputs(arch, 1, 3);

  it('each side equals the window run alone with every RTG token at that value', () => {
    const r = attributionsAtTwoRtgs(model, window, [0.1, 0.9], { direction: { positive: 1, negative: 0 } });
    for (const [rtg, side] of [
      [0.1, r.low],
      [0.9, r.high],
    ] as const) {
      const alone = { ...window, rtgs: window.rtgs.map(() => rtg) };
      const { cache } = model.run(alone, { cache: true });
      const dir = logitDirection(cache!, { positive: 1, negative: 0 }).vector;
      const ref = logitDiffAttributions(cache!, model, r.position, dir, {
        levels: ['components'],
      }).components!;
      expect(r.labels).toEqual(ref.labels);
      side.forEach((v, i) => expect(v).toBeCloseTo(ref.values[i][0], 5));
    }
    r.difference.forEach((d, i) => expect(d).toBeCloseTo(r.high[i] - r.low[i], 12));
    expect(r.difference.some((d) => Math.abs(d) > 1e-6)).toBe(true);
  });

  it('equal RTGs give a zero difference; non-finite RTGs are refused', () => {
    const r = attributionsAtTwoRtgs(model, window, [0.5, 0.5]);
    expect(r.difference.every((d) => d === 0)).toBe(true);
    expect(() => attributionsAtTwoRtgs(model, window, [0, NaN])).toThrow(/must be finite/);
  });

  it('attention patterns and the logit lens at each RTG equal the window run alone', () => {
    const att = attentionAtTwoRtgs(model, window, [0.2, 0.8]);
    const lens = logitLensAtTwoRtgs(model, window, [0.2, 0.8], { direction: { positive: 2, negative: 1 } });
    const { nLayers: L, nHeads: H } = arch;
    expect(att.heads).toHaveLength(L * H);
    const size = att.low.data.length / L;
    for (const [rtg, pattern, lensSide] of [
      [0.2, att.low, lens.low],
      [0.8, att.high, lens.high],
    ] as const) {
      const run = analysisRun(model, { ...window, rtgs: window.rtgs.map(() => rtg) });
      for (let l = 0; l < L; l++)
        expect(pattern.data.subarray(l * size, (l + 1) * size)).toEqual(
          run.cache.get(`blocks.${l}.attn.hook_pattern`).data,
        );
      const ref = logitLens(run, { direction: { positive: 2, negative: 1 } });
      lensSide.forEach((v, i) => expect(v).toBeCloseTo(ref.logitDiff[i], 5));
    }
    att.difference.data.forEach((d, i) => expect(d).toBeCloseTo(att.high.data[i] - att.low.data[i], 6));
    expect(att.difference.data.some((d) => Math.abs(d) > 1e-6)).toBe(true);
    lens.difference.forEach((d, i) => expect(d).toBeCloseTo(lens.high[i] - lens.low[i], 12));
  });
});
