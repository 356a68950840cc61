/**
 * The SAE panels' worker half on the default MemoryS7 model and a small dataset of its rollouts: they
 * refuse to run without a dataset or a trained SAE; training gives what the library gives on the same
 * windows (metrics, spliced loss), with progress; the downloaded file reads back as the same SAE; the
 * dashboard is `featureDashboard` of that SAE with each top window drawn as the agent view of its last
 * observation; a changed session dataset is refused. Continuing the SAE equals the library's training
 * continued; latent steering equals `featureRollouts` of the same experiment, its window rows each
 * condition alone; a transcoder trains as the library's on the two hook points and cannot be steered.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectActivations } from '../../../src/analysis/features/activations.ts';
import { actionsTaken } from '../../../src/analysis/features/probeSet.ts';
import { initSae, rowMean, startTraining, trainSae } from '../../../src/analysis/features/sae.ts';
import { featureDashboard, latentActivations } from '../../../src/analysis/features/saeDashboard.ts';
import { readSae } from '../../../src/analysis/features/saeIo.ts';
import { saeStatistics, splicedBehaviour } from '../../../src/analysis/features/saeMetrics.ts';
import { windowProbeSet } from '../../../src/analysis/features/windowLabels.ts';
import { windowsFromRollouts } from '../../../src/analysis/scans/windowDataset.ts';
import { renderObservationSvg } from '../../../src/env/render/index.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { panelById } from '../../../src/session/panels/index.ts';
import type { SaeDashboardResult, SaeSteerResult, SaeTrainResult } from '../../../src/session/panels/sae.ts';
import {
  featureRollouts,
  saeLatentExperiment,
  windowUnderConditions,
} from '../../../src/analysis/features/featureRollouts.ts';
import { softmax } from '../../../src/analysis/causal/metrics.ts';
import { sliceWindows } from '../../../src/model/inputs.ts';
import { expectClose } from '../../support/compare.ts';
import type { JobPanel } from '../../../src/session/panels/types.ts';
import { normalizeParams } from '../../../src/session/params.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { windowJobContext } from '../../support/jobContext.ts';
import { randomInputs } from '../../support/randomModel.ts';

const ckpt = loadCheckpoint(
  new Uint8Array(readFileSync('models/MiniGrid-MemoryS7FixedStart-v0.safetensors')),
);
const model = createModel(ckpt, { gemm: new TsGemm() });
const dataset = await windowsFromRollouts(model, {
  env: ckpt.env,
  seed: 0,
  episodes: 3,
  rtgs: [0, 1],
  epsilon: 0.3,
  maxEpisodeSteps: 12,
});
const base = windowJobContext(model, randomInputs(model.arch, 1, 2), 4);
const ctx = { ...base, episode: { ...base.episode, env: ckpt.env }, dataset };
const train = panelById('sae') as JobPanel;
const dashboard = panelById('sae-dashboard') as JobPanel;
const SETTINGS = { hook: 'blocks.0.hook_resid_post', latents: 32, k: 4, steps: 40, batch: 32, seed: 1 };

describe('SAE panels', () => {
  it('refuse to run without a dataset or a trained SAE', async () => {
    const other = createModel(ckpt, { gemm: new TsGemm() });
    await expect(train.run(base, normalizeParams(train.params, {}), {})).rejects.toThrow(/no dataset/);
    await expect(
      dashboard.run({ ...ctx, model: other }, normalizeParams(dashboard.params, {}), {}),
    ).rejects.toThrow(/no SAE in this session/);
  });

  it('train as the library does, keep the SAE for the dashboard and return it as a file', async () => {
    const seen: number[] = [];
    const params = normalizeParams(train.params, SETTINGS);
    const r = (await train.run(ctx, params, { onProgress: (d) => seen.push(d) })) as SaeTrainResult;
    expect(seen.length).toBeGreaterThan(2);

    const set = windowProbeSet(dataset);
    const [{ data: x, width }] = await collectActivations(model, set, [SETTINGS.hook], 'S');
    const config = { kind: 'topk' as const, dIn: width, dOut: width, latents: 32, k: 4, l1: 0.01 };
    const training = startTraining(initSae(config, 1, rowMean(x, width)));
    await trainSae(model.gemm, training, x, undefined, { steps: 40, batchSize: 32, lr: 0.001, seed: 1 });
    const { firingRate: _, ...stats } = saeStatistics(model.gemm, training.sae, x);
    expect(r.statistics).toEqual(stats);
    expect(r.losses).toEqual(training.losses);
    expect(r.spliced).toEqual(
      await splicedBehaviour(model, set, actionsTaken(set), training.sae, SETTINGS.hook, 'S'),
    );
    expect(r.windows).toBe(set.n);
    expect(r.statistics.l0).toBeLessThanOrEqual(4);

    const file = readSae(r.file);
    expect(file.site).toMatchObject({ hook: SETTINGS.hook, position: 'S' });
    expect(file.training.sae.W_dec).toEqual(training.sae.W_dec);

    const latent = r.bestLatents[0].latent;
    const d = (await dashboard.run(
      ctx,
      normalizeParams(dashboard.params, { latent, top: 3 }),
      {},
    )) as SaeDashboardResult;
    const z = latentActivations(model, training.sae, x);
    expect(d.dashboard).toEqual(featureDashboard(model, training.sae, z, set, latent, { top: 3 }));
    const T = dataset.maxLen;
    const cell = 7 * 7 * 20;
    d.views.forEach((v, i) => {
      const w = d.dashboard.top[i].window;
      expect(v.window).toBe(w);
      const o = (w * T + T - 1) * cell;
      const image = Uint8Array.from(dataset.inputs.states.data.subarray(o, o + cell));
      expect(v.svg).toBe(renderObservationSvg(image, dataset.obsShape, { tileSize: 16 }));
      expect(v.token).toBe(`S (step ${dataset.step[w]})`);
    });

    const resampled = { ...ctx, dataset: { ...dataset } };
    await expect(dashboard.run(resampled, normalizeParams(dashboard.params, {}), {})).rejects.toThrow(
      /dataset changed/,
    );
  }, 300_000);

  it('continue the session SAE, steer by one latent as the library does, and train a transcoder', async () => {
    const steer = panelById('sae-steer') as JobPanel;
    const first = (await train.run(ctx, normalizeParams(train.params, SETTINGS), {})) as SaeTrainResult;
    const more = (await train.run(
      ctx,
      normalizeParams(train.params, { ...SETTINGS, continue: 'yes' }),
      {},
    )) as SaeTrainResult;
    expect([first.steps, more.steps]).toEqual([40, 80]);
    // The library: the same SAE trained 40 steps, then 40 more with its AdamW state.
    const set = windowProbeSet(dataset);
    const [{ data: x, width }] = await collectActivations(model, set, [SETTINGS.hook], 'S');
    const config = { kind: 'topk' as const, dIn: width, dOut: width, latents: 32, k: 4, l1: 0.01 };
    const training = startTraining(initSae(config, 1, rowMean(x, width)));
    const options = { steps: 40, batchSize: 32, lr: 0.001, seed: 1 };
    await trainSae(model.gemm, training, x, undefined, options);
    await trainSae(model.gemm, training, x, undefined, options);
    const sae = readSae(more.file).training.sae;
    expect(sae.W_dec).toEqual(training.sae.W_dec);
    await expect(
      train.run(ctx, normalizeParams(train.params, { ...SETTINGS, token: 'R', continue: 'yes' }), {}),
    ).rejects.toThrow(/continue it with those settings/);

    // Steering by a latent: the closed loop is featureRollouts of the same experiment; on the current
    // window the `none` row is the model's own prediction and every row equals its condition run alone.
    const latent = more.bestLatents[0].latent;
    const inputs = sliceWindows(dataset.inputs, 10, 11);
    const params = normalizeParams(steer.params, { latent, op: 'clamp', values: '3', episodes: 2 });
    const r = (await steer.run({ ...ctx, inputs }, params, {})) as SaeSteerResult;
    const experiment = saeLatentExperiment(
      model,
      sae,
      { hook: SETTINGS.hook, kind: 'S' },
      latent,
      'clamp',
      [3],
      {
        controls: true,
        seed: 0,
      },
    );
    expect(r.result).toEqual(
      await featureRollouts(model, experiment, {
        env: ckpt.env,
        episodes: 2,
        seed: 0,
        targetRtg: ctx.episode.initialRtg,
        maxEpisodeSteps: 100,
      }),
    );
    expect(r.window.labels).toEqual([
      'none',
      `clamp ${latent}=3`,
      expect.stringMatching(/^control clamp \d+=3$/),
    ]);
    const preds = model.run(inputs).actionPreds!;
    const [, T, A] = preds.shape;
    expectClose(r.window.probabilities[0], softmax(preds.data.subarray((T - 1) * A, T * A)), 1e-6, {
      metric: 'abs',
    });
    experiment.conditions.forEach((c, k) =>
      expect(
        windowUnderConditions(model, inputs, { ...experiment, conditions: [c] }).probabilities[0],
      ).toEqual(r.window.probabilities[k]),
    );

    // A transcoder (ln2's output -> mlp_out): the library's training on the two hook points; no splice.
    const tc = { hook: 'blocks.0.ln2.hook_normalized', output: 'blocks.0.hook_mlp_out' };
    const t = (await train.run(
      ctx,
      normalizeParams(train.params, { ...SETTINGS, ...tc }),
      {},
    )) as SaeTrainResult;
    expect(t.outputHook).toBe(tc.output);
    expect(t.spliced).toBeNull();
    const [a, b] = await collectActivations(model, set, [tc.hook, tc.output], 'S');
    const tTraining = startTraining(
      initSae({ ...config, dIn: a.width, dOut: b.width }, 1, rowMean(b.data, b.width)),
    );
    await trainSae(model.gemm, tTraining, a.data, b.data, options);
    const { firingRate: _, ...stats } = saeStatistics(model.gemm, tTraining.sae, a.data, b.data);
    expect(t.statistics).toEqual(stats);
    expect(readSae(t.file).site).toMatchObject({ hook: tc.hook, outputHook: tc.output });
    await expect(steer.run({ ...ctx, inputs }, params, {})).rejects.toThrow(
      /a transcoder predicts another hook point/,
    );
  }, 300_000);
});
