/**
 * The closed-loop rollouts and causal-scrubbing job panels, run by the engine on dtlens's own MemoryS7
 * model (its env, the play area's initial RTG and the live window): each equals the library called
 * directly on the same conditions / hypothesis; progress per condition, cancel; malformed intervention
 * rows and hypotheses are one-line BAD_INPUT errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ablationInterventions } from '../../../src/analysis/causal/ablation.ts';
import { closedLoopRollouts } from '../../../src/analysis/causal/closedLoop.ts';
import { causalScrub, parseHypothesis } from '../../../src/analysis/causal/scrubbing.ts';
import { pairSteeringVector, steeringConditions } from '../../../src/analysis/causal/steeringVectors.ts';
import { corruptWindow } from '../../../src/analysis/causal/variations.ts';
import {
  labelledWindowsFromDataset,
  labelledWindowsFromRollouts,
} from '../../../src/analysis/causal/windows.ts';
import { windowsFromRollouts, writeWindowDataset } from '../../../src/analysis/scans/windowDataset.ts';
import type { JobControl } from '../../../src/analysis/jobs.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { Engine } from '../../../src/session/engine.ts';
import { openSession } from '../../../src/session/openSession.ts';
import { defaultParams } from '../../../src/session/params.ts';
import { closedLoopPanel } from '../../../src/session/panels/rollouts.ts';
import { causalScrubbingPanel } from '../../../src/session/panels/scrubbing.ts';
import type { PanelOutcome } from '../../../src/session/protocol.ts';
import { replayEpisode } from '../../../src/session/replay.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';

const FILE = 'models/MiniGrid-MemoryS7FixedStart-v0.safetensors';
const bytes = readFileSync(FILE);
const ACTIONS = [2, 2];

function engine() {
  const e = new Engine(new TsGemm());
  const r = e.handle({
    id: 1,
    command: {
      type: 'load',
      bytes: new Uint8Array(bytes),
      fileName: 'm.safetensors',
      seed: 3,
      initialRtg: 0.9,
      actions: ACTIONS,
    },
    panels: [],
  });
  expect(r.ok).toBe(true);
  return e;
}

/** The engine's model and live window, rebuilt apart from it. */
function reference() {
  const ckpt = loadCheckpoint(new Uint8Array(bytes), FILE);
  const s = openSession(ckpt, { gemm: new TsGemm(), weights: 'raw', initialRtg: 0.9 });
  replayEpisode(s, 3, ACTIONS);
  return { ckpt, model: s.model, window: s.window() };
}

const data = (o: PanelOutcome) => {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.data;
};
const run = (e: Engine, id: string, params: Record<string, unknown>, control: JobControl = {}) =>
  e.runJob({ id, params }, null, control);

describe('closed-loop rollouts panel', () => {
  it('steering conditions with controls = the library on the window AVEC; progress per condition; cancel', async () => {
    const params = { corruption: 'all-rtg', value: 0, layer: 0, coefficients: '1,4', episodes: 3 };
    const progress: number[] = [];
    const got = data(await run(engine(), 'closed-loop', params, { onProgress: (d) => progress.push(d) })) as {
      result: Awaited<ReturnType<typeof closedLoopRollouts>>;
      description: string;
    };
    expect(got.result.conditions.map((c) => c.label)).toEqual([
      'none',
      'steer 1',
      'random 1',
      'flipped 1',
      'steer 4',
      'random 4',
      'flipped 4',
    ]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const { ckpt, model, window } = reference();
    const corrupted = corruptWindow(window, [{ kind: 'all-rtg', value: 0 }], {
      nActions: 7,
      maxTimestep: model.maxTimestep,
    });
    const vector = pairSteeringVector(model, window, corrupted.corrupted, 'blocks.0.hook_resid_pre');
    const exp = steeringConditions(model, vector, [1, 4], { seed: 1 });
    const want = await closedLoopRollouts(model, exp.conditions, {
      env: ckpt.env,
      episodes: 3,
      seed: 0,
      targetRtg: 0.9,
      maxEpisodeSteps: 100,
      sources: exp.sources,
    });
    expect(got.result).toEqual(want);
    expect(got.description).toMatch(/^corrupted − clean at blocks\.0\.hook_resid_pre .*, norm \d/);

    const controller = new AbortController();
    const cancelled = await run(engine(), 'closed-loop', params, {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(cancelled).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  });

  it('an ablation condition = the library with the same intervention row', async () => {
    const params = {
      conditions: 'ablation',
      heads: 'L0H1,L0H2',
      mlps: '1',
      method: 'zero',
      episodes: 4,
      seed: 7,
    };
    const got = data(await run(engine(), 'closed-loop', params)) as { result: unknown; description: string };
    const { ckpt, model } = reference();
    const row = ablationInterventions(
      {
        heads: [
          [0, 1],
          [0, 2],
        ],
        mlps: [1],
        neurons: [],
        method: 'zero',
      },
      false,
    );
    const want = await closedLoopRollouts(
      model,
      [
        { label: 'none', row: [] },
        { label: 'zero ablation', row },
      ],
      { env: ckpt.env, episodes: 4, seed: 7, targetRtg: 0.9, maxEpisodeSteps: 100 },
    );
    expect(got.result).toEqual(want);
    expect(got.description).toBe('zero ablation of L0H1,L0H2, MLP 1');
  });

  it('intervention rows patch from the window pair; malformed rows are one-line errors', async () => {
    const e = engine();
    const json = JSON.stringify([
      { hook: 'blocks.0.attn.hook_z', op: { kind: 'set', source: 'corrupted' }, where: { heads: [1] } },
    ]);
    const got = data(await run(e, 'closed-loop', { conditions: 'interventions', json, episodes: 2 })) as {
      result: { conditions: { label: string }[] };
    };
    expect(got.result.conditions.map((c) => c.label)).toEqual(['none', 'row 0']);
    const bad = await run(e, 'closed-loop', {
      conditions: 'interventions',
      json: '[{"hook": "blocks.9.hook_z"',
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect((bad as { error: { message: string } }).error.message).not.toContain('\n');
    expect(closedLoopPanel.params.json).toMatchObject({ kind: 'text', default: '' });
  });
});

describe('closed-loop steering from the window pair', () => {
  it('refuses a steering vector that is zero for this window (a corruption that changes nothing)', async () => {
    // the newest RTG is already 0.9 (no reward yet): setting it to 0.9 leaves the pair identical
    const same = await run(engine(), 'closed-loop', {
      conditions: 'steering',
      corruption: 'rtg',
      step: -1,
      value: 0.9,
      episodes: 2,
    });
    expect(same).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /steering vector is zero/ },
    });
  });
});

describe('causal scrubbing panel', () => {
  it('a shipped hypothesis = causalScrub over the same windows; a malformed one is a typed error', async () => {
    const params = { ...defaultParams(causalScrubbingPanel.params), episodes: 3 };
    const progress: number[] = [];
    const got = data(
      await run(engine(), 'causal-scrubbing', params, { onProgress: (d) => progress.push(d) }),
    );
    const { ckpt, model } = reference();
    const windows = labelledWindowsFromRollouts(model, {
      env: ckpt.env,
      seeds: [0, 1, 2],
      targetRtg: 0.9,
      maxEpisodeSteps: 100,
    });
    const hypothesis = parseHypothesis(readFileSync('docs/hypotheses/MemoryS7.json', 'utf8'));
    expect(got).toEqual(
      await causalScrub(model, windows, hypothesis, { seed: 0, direction: { positive: 0, negative: 1 } }),
    );
    expect(progress.length).toBeGreaterThan(0);

    // Over the session's dataset: the same as causalScrub over its labelled windows; none kept: typed error.
    const withData = engine();
    expect(await run(withData, 'causal-scrubbing', { windows: 'session dataset' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /^no dataset in this session/ },
    });
    const ds = await windowsFromRollouts(model, {
      env: ckpt.env,
      seed: 7,
      episodes: 2,
      rtgs: [0, 0.9],
      maxEpisodeSteps: 20,
    });
    const load = withData.handle({
      id: 9,
      command: { type: 'setDataset', bytes: writeWindowDataset(ds) },
      panels: [],
    });
    expect(load.ok).toBe(true);
    expect(data(await run(withData, 'causal-scrubbing', { windows: 'session dataset' }))).toEqual(
      await causalScrub(model, labelledWindowsFromDataset(ds), hypothesis, {
        seed: 0,
        direction: { positive: 0, negative: 1 },
      }),
    );

    const e = engine();
    const custom = (json: string) => run(e, 'causal-scrubbing', { hypothesis: 'custom', json, episodes: 2 });
    expect(await custom('{"name": "x", "nodes": [')).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringMatching(/^hypothesis: not valid JSON/) },
    });
    expect(await custom('{"name": "x", "nodes": [{"node": "L0H1", "dependsOn": "colour"}]}')).toMatchObject({
      ok: false,
      error: {
        code: 'BAD_INPUT',
        message: expect.stringMatching(/^hypothesis: node "L0H1" depends on "colour"/),
      },
    });
    expect(
      await run(e, 'causal-scrubbing', {
        hypothesis: 'custom',
        method: 'treeified',
        json: '{"name": "x", "nodes": [{"node": "L0H1@2", "dependsOn": "nothing"}]}',
        episodes: 1,
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringMatching(/^treeified scrubbing takes whole heads/) },
    });
    const everything = await custom(
      '{"name": "all", "nodes": [{"node": "heads", "dependsOn": "everything"}], "rest": "everything"}',
    );
    expect((data(everything) as { loss: { recovered: number } }).loss.recovered).toBe(1);
  });
});
