/**
 * The across-training panel in the engine on dtlens's default MemoryS7 model: a series of two
 * checkpoints (a fresh initialisation at update 0 and the trained model at update 500, given in reverse
 * order) is loaded with `setSeries`; composition, head types and probes equal the library on the same
 * models; without a series, with mixed architectures or (head types) without a dataset the errors are
 * typed; loading a model clears the series.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compositionAcrossTraining,
  headTypesAcrossTraining,
  probesAcrossTraining,
} from '../../../src/analysis/features/acrossTraining.ts';
import { selectHooks } from '../../../src/analysis/features/activations.ts';
import { expertProbeSet } from '../../../src/session/panels/features.ts';
import { windowsFromRollouts, writeWindowDataset } from '../../../src/analysis/scans/windowDataset.ts';
import { loadCheckpoint, saveNativeCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { Engine } from '../../../src/session/engine.ts';
import type { EngineCommand } from '../../../src/session/protocol.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { initialCheckpoint } from '../../../src/train/init.ts';

const read = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../models/${name}`, import.meta.url)));
const MODEL = 'MiniGrid-MemoryS7FixedStart-v0.safetensors';
const ckpt = loadCheckpoint(read(MODEL));
const trained = saveNativeCheckpoint({ ...ckpt, offline: { ...ckpt.offline, updates: 500 } });
const fresh = saveNativeCheckpoint({
  ...initialCheckpoint(ckpt.model, ckpt.env, ckpt.nActions, ckpt.obsShape, 3),
  offline: { updates: 0 },
});
const files = [
  { name: 'step500.safetensors', bytes: trained },
  { name: 'step0.safetensors', bytes: fresh },
];
const gemm = new TsGemm();
const series = files.map((f) => {
  const c = loadCheckpoint(f.bytes, f.name);
  return {
    name: f.name,
    step: c.offline!.updates as number,
    model: createModel(c, { gemm, weights: 'raw' }),
  };
});

describe('across-training panel', () => {
  it('runs the library on the loaded series; refuses no series, mixed architectures, no dataset', async () => {
    const engine = new Engine(new TsGemm());
    let id = 0;
    const send = (command: EngineCommand) => engine.handle({ id: ++id, command, panels: [] });
    const load = { type: 'load' as const, bytes: read(MODEL), fileName: MODEL, seed: 0, initialRtg: 0.9 };
    send({ ...load, actions: [], weights: 'raw' });
    const job = (params: Record<string, unknown>) =>
      engine.runJob({ id: 'across-training', params }, null, {});

    expect(await job({ analysis: 'composition' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /no checkpoint series/ },
    });
    expect(send({ type: 'setSeries', files }).ok).toBe(true);
    expect(await job({ analysis: 'composition' })).toEqual({
      ok: true,
      data: { analysis: 'composition', ...compositionAcrossTraining(series) },
    });
    expect(await job({ analysis: 'head-types' })).toMatchObject({
      ok: false,
      error: { message: /no dataset/ },
    });
    const ds = await windowsFromRollouts(series[0].model, {
      env: ckpt.env,
      seed: 0,
      episodes: 2,
      rtgs: [1],
      maxEpisodeSteps: 5,
    });
    expect(send({ type: 'setDataset', bytes: writeWindowDataset(ds) }).ok).toBe(true);
    const types = (await job({ analysis: 'head-types' })) as { ok: true; data: { steps: number[] } };
    expect(types.data).toEqual({ analysis: 'head-types', ...(await headTypesAcrossTraining(series, ds)) });
    expect(types.data.steps).toEqual([0, 500]);

    const probes = (await job({ analysis: 'probes', episodes: 4 })) as { ok: true; data: unknown };
    const lib = await probesAcrossTraining(
      series,
      expertProbeSet(series[0].model, ckpt.env, 4),
      selectHooks(series[0].model, 'residual'),
      'S',
    );
    expect(probes.data).toEqual({
      analysis: 'probes',
      ...lib,
      sweeps: lib.sweeps.map(({ directions: _, ...sweep }) => sweep),
    });

    const other = 'MiniGrid-Dynamic-Obstacles-8x8-v0.safetensors';
    expect(send({ type: 'setSeries', files: [...files, { name: other, bytes: read(other) }] })).toMatchObject(
      {
        ok: false,
        error: { code: 'BAD_INPUT', message: /a series must share one architecture/ },
      },
    );
    send({ ...load, actions: [], weights: 'raw' });
    expect(await job({ analysis: 'composition' })).toMatchObject({
      ok: false,
      error: { message: /no checkpoint series/ },
    });
  }, 300_000);
});
