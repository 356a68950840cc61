/** The Scans panels' worker halves on a tiny model: the RTG scan job reports progress and honours its settings; head types match the library. */
import { windowJobContext } from '../../support/jobContext.ts';
import { describe, expect, it } from 'vitest';
import { analysisRun } from '../../../src/analysis/dynamic/run.ts';
import { windowHeadTypes } from '../../../src/analysis/scans/headTypes.ts';
import type { RtgScanResult } from '../../../src/analysis/scans/rtgScan.ts';
import { selectWindow } from '../../../src/model/inputs.ts';
import { panelById } from '../../../src/session/panels/index.ts';
import type { JobPanel, WindowPanel } from '../../../src/session/panels/types.ts';
import { normalizeParams } from '../../../src/session/params.ts';
import type { CoefficientScanResult } from '../../../src/analysis/scans/steering.ts';
import { expectClose } from '../../support/compare.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from '../analysis/support.ts';

const arch = tinyArch();
const model = randomModel(arch, { variant: 'processed' });
const window = selectWindow(windowInputs(arch, 2), 1);

describe('scan panels', () => {
  it('rtg-scan runs the scan of the job window with its settings, with progress', async () => {
    const panel = panelById('rtg-scan') as JobPanel;
    const params = normalizeParams(panel.params, {
      n: 6,
      min: -1,
      tokens: 'current',
      ln: 'apply',
      noise: 2,
      attention: 'value-weighted',
    });
    const seen: number[] = [];
    const r = (await panel.run(windowJobContext(model, window, 4, 'processed'), params, {
      chunkRows: 4,
      onProgress: (done) => seen.push(done),
    })) as RtgScanResult;
    expect(seen).toEqual([4, 6]);
    expect(r.rtg[0]).toBe(-1);
    expect(r.tokens).toBe('current');
    expect(r.tokenLabel).toBe('S2');
    expect(r.decomposition.layers!.lnScaled).toBe(true);
    expect(r.timestepNoise).toBe(2);
    expect(r.attention).toMatchObject({ query: 4, queryLabel: 'S2', weighting: 'key' });
  });

  it('steering scans corrupted − clean at resid_pre: coefficient 0 is the window, 1 the corrupted window', async () => {
    const panel = panelById('steering') as JobPanel;
    const params = normalizeParams(panel.params, {
      corruption: 'all-rtg',
      value: 0.25,
      layer: 0,
      hook: 'resid_pre',
      min: 0,
      max: 1,
      n: 2,
    });
    const r = (await panel.run(
      windowJobContext(model, window, 7, 'processed'),
      params,
      {},
    )) as CoefficientScanResult;
    expect(r.coeff).toEqual([0, 1]);
    expect(r.hook).toBe('blocks.0.hook_resid_pre');
    const corrupted = { ...window, rtgs: window.rtgs.map(() => 0.25) };
    const last = (inputs: typeof window) => {
      const p = model.run(inputs).actionPreds!;
      const [, T, A] = p.shape;
      return Array.from(p.data.subarray((T - 1) * A, T * A));
    };
    const A = r.logits.shape[1];
    expectClose(Array.from(r.logits.data.subarray(0, A)), last(window), 1e-5);
    expectClose(Array.from(r.logits.data.subarray(A, 2 * A)), last(corrupted), 1e-4);
  });

  it('head-types computes the per-window head types of the cached run', () => {
    const panel = panelById('head-types') as WindowPanel;
    const run = analysisRun(model, window);
    const r = panel.compute(run, normalizeParams(panel.params, { threshold: 0.3 }), { position: 7 });
    expect(r).toEqual(windowHeadTypes(model, window, { threshold: 0.3 }));
  });
});
