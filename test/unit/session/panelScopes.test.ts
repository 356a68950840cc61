/**
 * The three panel scopes in the engine, with panels defined by the test on dtlens's own Dynamic-Obstacles
 * model (in the repo): window panels see the chosen position, model panels compute once per model,
 * weights variant and settings, job panels run on a snapshot of the window with progress and cancel.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forEachChunk } from '../../../src/analysis/jobs.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { Engine } from '../../../src/session/engine.ts';
import { openSession } from '../../../src/session/openSession.ts';
import { replayEpisode } from '../../../src/session/replay.ts';
import type { JobPanel, ModelPanel, PanelSpec, WindowPanel } from '../../../src/session/panels/index.ts';
import type { EngineCommand, EngineResult, PanelRequest } from '../../../src/session/protocol.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';

const MODEL = 'MiniGrid-Dynamic-Obstacles-8x8-v0.safetensors';
const bytes = () => new Uint8Array(readFileSync(new URL(`../../../models/${MODEL}`, import.meta.url)));

let modelCalls = 0;
const modelPanel: ModelPanel = {
  id: 'test-model',
  title: 'Model-scope test panel',
  group: 'weights',
  scope: 'model',
  help: 'test',
  params: { k: { kind: 'int', default: 1, min: 0, max: 10 } },
  compute: (model, p) => {
    modelCalls++;
    return { layers: model.arch.nLayers, k: p.k };
  },
};
const windowPanel: WindowPanel = {
  id: 'test-window',
  title: 'Window-scope test panel',
  group: 'dynamic',
  scope: 'window',
  help: 'test',
  params: {},
  needs: () => 'hook_embed',
  compute: (run, _p, ctx) => ({ position: ctx.position, rtg0: run.inputs.rtgs[0] }),
};
const jobPanel: JobPanel = {
  id: 'test-job',
  title: 'Job-scope test panel',
  group: 'scans',
  scope: 'job',
  help: 'test',
  params: { rows: { kind: 'int', default: 10, min: 1, max: 1000 } },
  async run(ctx, p, control) {
    let rows = 0;
    await forEachChunk(p.rows as number, { ...control, chunkRows: 3 }, (start, end) => {
      rows += end - start;
    });
    return { rows, rtg: ctx.inputs.rtgs.at(-1), position: ctx.position };
  },
};
const episodePanel: JobPanel = {
  id: 'test-episode',
  title: 'Episode test panel',
  group: 'scans',
  scope: 'job',
  help: 'test',
  params: {},
  async run(ctx) {
    const env = ctx.episode.replay();
    const u = env.unwrapped;
    return {
      seed: ctx.episode.seed,
      actions: ctx.episode.actions,
      envId: ctx.episode.env.envId,
      agent: [...u.agentPos, u.agentDir],
      image: Array.from(env.observe().image),
    };
  },
};
const REGISTRY: PanelSpec[] = [modelPanel, windowPanel, jobPanel, episodePanel];

function setup() {
  const engine = new Engine(new TsGemm(), () => 0, REGISTRY);
  let id = 0;
  const send = (command: EngineCommand, panels: PanelRequest[] = []): EngineResult => {
    const reply = engine.handle({ id: ++id, command, panels });
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result;
  };
  send({ type: 'load', bytes: bytes(), fileName: MODEL, seed: 1, initialRtg: 0.9, actions: [2] });
  return { engine, send };
}

describe('panel scopes', () => {
  it('computes a model panel once per model, weights variant and settings', () => {
    const { engine, send } = setup();
    modelCalls = 0;
    const panel = { id: 'test-model', params: { k: 3 } };
    expect(engine.computePanels([panel]).panels['test-model']).toEqual({
      ok: true,
      data: { layers: 1, k: 3 },
    });
    send({ type: 'step', action: 2 }, [panel]);
    expect(engine.computePanels([panel]).panels).toEqual({});
    expect(modelCalls).toBe(1);
    // closing and reopening resends the cached outcome without recomputing
    engine.computePanels([]);
    expect(engine.computePanels([panel]).panels['test-model']).toMatchObject({ ok: true });
    expect(modelCalls).toBe(1);
    // new settings, then a new weights variant: recomputed
    expect(engine.computePanels([{ ...panel, params: { k: 4 } }]).panels['test-model']).toMatchObject({
      data: { k: 4 },
    });
    send({ type: 'setWeights', weights: 'processed' }, [panel]);
    engine.computePanels([panel]);
    expect(modelCalls).toBe(3);
    // settings outside the schema fall back to the default
    expect(engine.computePanels([{ ...panel, params: { k: 99 } }]).panels['test-model']).toMatchObject({
      data: { k: 1 },
    });
  });

  it('gives window panels the default position (last S token) or the chosen one', () => {
    const { engine, send } = setup();
    const panel = { id: 'test-window', params: {} };
    send({ type: 'refresh' }, [panel]);
    // Dynamic-Obstacles: n_ctx 2 ([R, S]) → the last S token is position 1
    expect(engine.computePanels([panel]).panels['test-window']).toEqual({
      ok: true,
      data: { position: 1, rtg0: expect.closeTo(0.9, 6) },
    });
    expect(engine.computePanels([panel], 0).panels['test-window']).toMatchObject({ data: { position: 0 } });
  });

  it('runs a job on a snapshot of the window with progress, and cancels it', async () => {
    const { engine, send } = setup();
    const progress: [number, number][] = [];
    let yields = 0;
    const job = engine.runJob({ id: 'test-job', params: { rows: 10 } }, null, {
      onProgress: (d, t) => progress.push([d, t]),
      yieldToEvents: async () => {
        yields++;
        // the page keeps playing while the job runs; the job keeps its snapshot
        if (yields === 1) send({ type: 'setRtg', initialRtg: 0.2 });
      },
    });
    expect(await job).toEqual({ ok: true, data: { rows: 10, rtg: expect.closeTo(0.9, 6), position: 1 } });
    expect(progress).toEqual([
      [3, 10],
      [6, 10],
      [9, 10],
      [10, 10],
    ]);
    expect(yields).toBe(4);

    const controller = new AbortController();
    const cancelled = await engine.runJob({ id: 'test-job', params: { rows: 10 } }, null, {
      signal: controller.signal,
      onProgress: (d) => d >= 3 && controller.abort(),
    });
    expect(cancelled).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'cancelled' } });

    expect(await engine.runJob({ id: 'test-window', params: {} }, null, {})).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /not a job panel/ },
    });
  });

  it("gives a job the episode: a fresh env replayed to the live one's state", async () => {
    const { engine, send } = setup();
    send({ type: 'step', action: 2 });
    const live = openSession(loadCheckpoint(bytes()), { gemm: new TsGemm() });
    replayEpisode(live, 1, [2, 2]);
    const u = live.env.unwrapped;
    expect(await engine.runJob({ id: 'test-episode', params: {} }, null, {})).toEqual({
      ok: true,
      data: {
        seed: 1,
        actions: [2, 2],
        envId: 'MiniGrid-Dynamic-Obstacles-8x8-v0',
        agent: [...u.agentPos, u.agentDir],
        image: Array.from(live.env.observe().image),
      },
    });
    // the replay is a copy: a job that moves its agent leaves the live episode where it was
    const before = send({ type: 'refresh' }).view;
    await engine.runJob({ id: 'test-episode', params: {} }, null, {});
    expect(send({ type: 'refresh' }).view.frames).toEqual(before.frames);
  });

  it('leaves job panels out of the per-command panel outcomes', () => {
    const { engine } = setup();
    expect(engine.computePanels([{ id: 'test-job', params: {} }]).panels).toEqual({});
  });
});
