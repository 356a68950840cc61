/**
 * The session dataset in the engine, on dtlens's default MemoryS7 model (in the repo): the dataset
 * panels refuse to run without one, the sampling job keeps what `windowsFromRollouts` gives (with
 * progress), the ablation panel's dataset mean and resampling use it, a loaded file replaces it, a dataset of another shape is refused, and loading a model
 * clears it. Results are compared with the library run on the same model and windows.
 */
import { readFileSync } from 'node:fs';
import { summariseDataset } from '../../../src/session/panels/dataset.ts';
import { describe, expect, it } from 'vitest';
import { ablate } from '../../../src/analysis/causal/ablation.ts';
import { headTypes } from '../../../src/analysis/scans/headTypes.ts';
import { openSession } from '../../../src/session/openSession.ts';
import { replayEpisode } from '../../../src/session/replay.ts';
import { residualNorms } from '../../../src/analysis/scans/cacheStats.ts';
import {
  type WindowDataset,
  windowsFromRollouts,
  writeWindowDataset,
} from '../../../src/analysis/scans/windowDataset.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { Engine } from '../../../src/session/engine.ts';
import type { EngineCommand } from '../../../src/session/protocol.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';

const MODEL = 'MiniGrid-MemoryS7FixedStart-v0.safetensors';
const bytes = () => new Uint8Array(readFileSync(new URL(`../../../models/${MODEL}`, import.meta.url)));
const ckpt = loadCheckpoint(bytes());
const model = createModel(ckpt, { gemm: new TsGemm(), weights: 'raw' });
const SAMPLE = { seed: 3, episodes: 2, rtgs: '0,1', maxSteps: 4 };
const rollouts = (seed: number): Promise<WindowDataset> =>
  windowsFromRollouts(model, { env: ckpt.env, seed, episodes: 2, rtgs: [0, 1], maxEpisodeSteps: 4 });

function setup() {
  const engine = new Engine(new TsGemm());
  let id = 0;
  const send = (command: EngineCommand) => engine.handle({ id: ++id, command, panels: [] });
  send({
    type: 'load',
    bytes: bytes(),
    fileName: MODEL,
    seed: 0,
    initialRtg: 0.9,
    actions: [],
    weights: 'raw',
  });
  const ablation = (method: string) =>
    engine.computePanels([{ id: 'ablation', params: { heads: 'L0H1', mlps: '1', method } }]).panels.ablation;
  const job = (
    panelId: string,
    params: Record<string, unknown> = {},
    onProgress?: (d: number, t: number) => void,
  ) => engine.runJob({ id: panelId, params }, null, { onProgress });
  return { send, job, ablation };
}

describe('session dataset', () => {
  it('is sampled by the dataset job, read by the dataset panels, replaced by a file and cleared on load', async () => {
    const { send, job, ablation } = setup();
    expect(ablation('dataset-mean')).toMatchObject({ ok: false, error: { message: /no dataset/ } });
    expect(await job('dataset-norms')).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /no dataset/ },
    });

    const progress: number[] = [];
    const sampled = await job('dataset', SAMPLE, (done) => progress.push(done));
    const expected = await rollouts(3);
    expect(sampled).toEqual({
      ok: true,
      data: expect.objectContaining({ windows: expected.inputs.states.shape[0], episodes: 4, maxLen: 9 }),
    });
    expect(progress.at(-1)).toBe(8); // 2 RTGs x 4 steps
    expect(await job('dataset-norms')).toEqual({ ok: true, data: await residualNorms(model, expected) });
    // the ablation panel's dataset mean and resampling read the session dataset (library: a full cache of it)
    const session = openSession(ckpt, { gemm: new TsGemm(), weights: 'raw', initialRtg: 0.9 });
    replayEpisode(session, 0, []);
    const full = model.run(expected.inputs, { cache: true }).cache!;
    for (const [method, spec] of [
      ['dataset-mean', { method: 'mean' as const }],
      ['resample', { method: 'resample' as const, seed: 0 }],
    ] as const) {
      const library = ablate(
        model,
        session.window(),
        { heads: [[0, 1]], mlps: [1], neurons: [], ...spec },
        { direction: { positive: 0, negative: 1 }, dataset: full },
      );
      expect(ablation(method)).toEqual({ ok: true, data: library });
    }

    const other = await rollouts(7);
    const loaded = send({ type: 'setDataset', bytes: writeWindowDataset(other) });
    // the session view names the dataset the session now holds
    expect(loaded).toMatchObject({ ok: true, result: { view: { dataset: summariseDataset(other) } } });
    expect(await job('dataset-head-types', { threshold: 0.4 })).toEqual({
      ok: true,
      data: await headTypes(model, other, { threshold: 0.4 }),
    });

    const tiny = randomModel(tinyArch({ obsShape: [3, 3, 3], nActions: 7 }));
    const foreign = await windowsFromRollouts(tiny, {
      env: { ...ckpt.env, envId: 'MiniGrid-Empty-5x5-v0', viewSize: 3, oneHotObs: false },
      seed: 0,
      episodes: 1,
      rtgs: [1],
      maxEpisodeSteps: 2,
    });
    expect(send({ type: 'setDataset', bytes: writeWindowDataset(foreign) })).toMatchObject({
      ok: false,
      error: { code: 'BAD_DATASET' },
    });
    expect(await job('dataset-head-types', { threshold: 0.4 })).toMatchObject({ ok: true }); // still `other`

    send({ type: 'load', bytes: bytes(), fileName: MODEL, seed: 0, initialRtg: 0.9, actions: [] });
    expect(await job('dataset-kurtosis')).toMatchObject({ ok: false, error: { message: /no dataset/ } });
  }, 120_000);
});
