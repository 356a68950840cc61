/**
 * The causal panels on a tiny random model's window: the patching job returns the sweep of the settings
 * (matching the library run directly), reports progress and stops on cancel; counterfactual attention
 * and ablation compute from the window; bad settings are typed errors.
 */
import { windowJobContext } from '../../support/jobContext.ts';
import { describe, expect, it } from 'vitest';
import { activationPatching, patchPair } from '../../../src/analysis/causal/patching.ts';
import { corruptWindow } from '../../../src/analysis/causal/variations.ts';
import { analysisRun } from '../../../src/analysis/dynamic/run.ts';
import { defaultParams } from '../../../src/session/params.ts';
import {
  type PatchingPanelResult,
  ablationPanel,
  activationPatchingPanel,
  counterfactualAttentionPanel,
  objectGrid,
  variationOf,
} from '../../../src/session/panels/causal.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from '../analysis/support.ts';

const arch = tinyArch({ gatedMlp: true, obsShape: [3, 3, 3] });
const model = randomModel(arch);
const inputs = windowInputs(arch, 1, 3, 5);
const ctx = windowJobContext(model, inputs, 7);

describe('causal panels', () => {
  it('activation patching job: the requested sweep, as the library computes it, with the editor grids', async () => {
    const params = {
      ...defaultParams(activationPatchingPanel.params),
      corruption: 'state',
      step: 1,
      x: 0,
      y: 2,
      object: 'key',
      sweep: 'head_all_pos_every',
      mode: 'denoise',
    };
    const progress: number[] = [];
    const d = (await activationPatchingPanel.run(ctx, params, {
      chunkRows: 8,
      onProgress: (done) => progress.push(done),
    })) as PatchingPanelResult;
    expect(d.result.shape).toEqual([5, 2, 2]);
    expect(progress.at(-1)).toBe(20);
    const corrupted = corruptWindow(inputs, [variationOf(params)], {
      nActions: 3,
      maxTimestep: 1000,
    }).corrupted;
    const [want] = await activationPatching(model, patchPair(model, inputs, corrupted), 'denoise', [
      { kind: 'head_all_pos_every' },
    ]);
    expect(d.result.score).toEqual(want.score);
    expect(d.changes[0]).toMatch(/^S2 \(0,2\): .* -> key$/);
    expect(d.grids.corrupted[0 * 3 + 2]).toBe(5); // key
    expect(d.grids.clean).toEqual(objectGrid(inputs, 1));
  });

  it('activation patching job: cancel stops it with CANCELLED', async () => {
    const ctrl = new AbortController();
    const params = {
      ...defaultParams(activationPatchingPanel.params),
      corruption: 'all-rtg',
      sweep: 'head_by_pos_every',
    };
    await expect(
      activationPatchingPanel.run(ctx, params, {
        chunkRows: 4,
        signal: ctrl.signal,
        onProgress: () => ctrl.abort(),
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('counterfactual attention and ablation compute from the window; bad settings are typed errors', () => {
    const run = analysisRun(model, inputs);
    const cf = counterfactualAttentionPanel.compute(
      run,
      { ...defaultParams(counterfactualAttentionPanel.params), corruption: 'all-rtg', value: 0 },
      { position: 7 },
    ) as { result: { diff: { shape: number[] } }; identical: boolean };
    expect(cf.result.diff.shape).toEqual([2, 2, 8, 8]);
    expect(cf.identical).toBe(false);
    const ab = ablationPanel.compute(
      run,
      { ...defaultParams(ablationPanel.params), heads: 'L1H0', mlps: '0' },
      { position: 7 },
    ) as {
      interventions: unknown[];
    };
    expect(ab.interventions.length).toBe(2);
    expect(() =>
      ablationPanel.compute(run, { ...defaultParams(ablationPanel.params), heads: '' }, { position: 7 }),
    ).toThrow(/choose heads/);
    expect(() =>
      counterfactualAttentionPanel.compute(
        run,
        { ...defaultParams(counterfactualAttentionPanel.params), corruption: 'state', x: 9 },
        { position: 7 },
      ),
    ).toThrow(/outside the 3x3 observation/);
  });
});
