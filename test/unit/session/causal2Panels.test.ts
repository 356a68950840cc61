/**
 * The issue-14 causal panels on a tiny random model's window: the path-patching job equals the library
 * on the same corruption, reports progress and stops on cancel; the attribution job returns the
 * comparison of its sweep; bad node lists are typed errors; the circuit job equals the library, reports
 * progress and stops on cancel.
 */
import { windowJobContext } from '../../support/jobContext.ts';
import { describe, expect, it } from 'vitest';
import { attributionPatching } from '../../../src/analysis/causal/attributionPatching.ts';
import { parseReceivers, parseSenders } from '../../../src/analysis/causal/pathNodes.ts';
import { type PathGrid, pathPatchGrid } from '../../../src/analysis/causal/pathViews.ts';
import { patchPair } from '../../../src/analysis/causal/patching.ts';
import { corruptWindow } from '../../../src/analysis/causal/variations.ts';
import type { AttributionComparison } from '../../../src/analysis/causal/attributionPatching.ts';
import { DtlensError } from '../../../src/errors.ts';
import { defaultParams } from '../../../src/session/params.ts';
import { variationOf } from '../../../src/session/panels/causal.ts';
import { type CircuitResult, discoverCircuit } from '../../../src/analysis/causal/circuit/discover.ts';
import {
  attributionPatchingPanel,
  circuitDiscoveryPanel,
  pathPatchingPanel,
} from '../../../src/session/panels/causal2.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from '../analysis/support.ts';

const arch = tinyArch({ gatedMlp: true, obsShape: [3, 3, 3] });
const model = randomModel(arch);
const inputs = windowInputs(arch, 1, 3, 5);
const ctx = windowJobContext(model, inputs, 7);
const corruption = { corruption: 'state', step: 1, x: 0, y: 2, object: 'key' };

describe('issue-14 causal panels', () => {
  it('path patching job = the library; progress; cancel', async () => {
    const params = {
      ...defaultParams(pathPatchingPanel.params),
      ...corruption,
      senders: 'heads@each',
      receivers: 'L1.v,mlp1',
    };
    const progress: number[] = [];
    const got = (await pathPatchingPanel.run(ctx, params, {
      chunkRows: 4,
      onProgress: (d) => progress.push(d),
    })) as PathGrid;
    const corrupted = corruptWindow(inputs, [variationOf(params)], {
      nActions: 3,
      maxTimestep: 1000,
    }).corrupted;
    const pair = patchPair(model, inputs, corrupted);
    const want = await pathPatchGrid(
      model,
      pair,
      parseSenders('heads@each', arch, 8),
      parseReceivers('L1.v,mlp1', arch),
    );
    expect(got.shape).toEqual([2, 2, 8]);
    expect(Array.from(got.plotted)).toEqual(Array.from(want.plotted));
    expect(progress.length).toBeGreaterThan(2);
    const abort = new AbortController();
    abort.abort();
    await expect(pathPatchingPanel.run(ctx, params, { signal: abort.signal })).rejects.toThrow(/cancelled/);
    await expect(pathPatchingPanel.run(ctx, { ...params, senders: 'L9H9' }, {})).rejects.toThrow(DtlensError);
  });

  it('attribution job compares its sweep with real patching', async () => {
    const params = {
      ...defaultParams(attributionPatchingPanel.params),
      ...corruption,
      sweep: 'head_all_pos_every',
    };
    const got = (await attributionPatchingPanel.run(ctx, params, {})) as AttributionComparison;
    expect(got.shape).toEqual([5, 2, 2]);
    const corrupted = corruptWindow(inputs, [variationOf(params)], {
      nActions: 3,
      maxTimestep: 1000,
    }).corrupted;
    const [est] = attributionPatching(model, patchPair(model, inputs, corrupted), 'noise', [
      { kind: 'head_all_pos_every' },
    ]);
    expect(Array.from(got.attribution)).toEqual(Array.from(est.attribution));
    expect(got.actual).toHaveLength(20);
    expect(got.worst.length).toBeGreaterThan(0);
  });

  it('circuit job = the library; progress; cancel', async () => {
    const params = { ...defaultParams(circuitDiscoveryPanel.params), ...corruption, method: 'acdc', top: 0 };
    const progress: number[] = [];
    const got = (await circuitDiscoveryPanel.run(ctx, params, {
      chunkRows: 8,
      onProgress: (d) => progress.push(d),
    })) as CircuitResult;
    const corrupted = corruptWindow(inputs, [variationOf(params)], {
      nActions: 3,
      maxTimestep: 1000,
    }).corrupted;
    const want = await discoverCircuit(model, patchPair(model, inputs, corrupted), { method: 'acdc' });
    expect(got.edges).toEqual(want.edges);
    expect(got.faithfulness).toBe(want.faithfulness);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(100);
    const abort = new AbortController();
    abort.abort();
    await expect(circuitDiscoveryPanel.run(ctx, params, { signal: abort.signal })).rejects.toThrow(
      /cancelled/,
    );
  });
});
