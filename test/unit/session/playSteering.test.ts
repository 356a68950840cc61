/**
 * The play session's steering (`setPlayIntervention`), on dtlens's own MemoryS7 model: off is the
 * unsteered engine bit for bit; on, the prediction and the greedy `act` equal an independent run with a
 * plain hook adding c · (corrupted − clean) (or c · a saved direction); toggling mid-episode keeps the
 * episode; bad settings are refused and leave the steering as it was.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { directionsToTensors } from '../../../src/analysis/static/directions.ts';
import { corruptWindow } from '../../../src/analysis/causal/variations.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { writeSafetensors } from '../../../src/io/safetensors.ts';
import type { DTInputs, DecisionTransformer } from '../../../src/model/decisionTransformer.ts';
import { Engine } from '../../../src/session/engine.ts';
import { defaultParams, shownParams } from '../../../src/session/params.ts';
import { PLAY_STEERING_PARAMS } from '../../../src/session/playSteering.ts';
import { openSession } from '../../../src/session/openSession.ts';
import { predictionFrom } from '../../../src/session/playSession.ts';
import type { EngineCommand, EngineReply, EngineResult } from '../../../src/session/protocol.ts';
import { replayEpisode } from '../../../src/session/replay.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { expectClose, expectDiffer } from '../../support/compare.ts';

const FILE = 'models/MiniGrid-MemoryS7FixedStart-v0.safetensors';
const bytes = readFileSync(FILE);
const SEED = 3;
/** All RTGs of the window set to 0: this model then walks to the wrong object on purpose. */
const RTG0 = { corruption: 'all-rtg', value: 0 };

function session() {
  let id = 0;
  const engine = new Engine(new TsGemm());
  const send = (command: EngineCommand): EngineReply => engine.handle({ id: ++id, command, panels: [] });
  const ok = (command: EngineCommand): EngineResult => {
    const reply = send(command);
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply.result;
  };
  const load = (actions: number[] = []) =>
    ok({
      type: 'load',
      bytes: new Uint8Array(bytes),
      fileName: 'm.safetensors',
      seed: SEED,
      initialRtg: 0.9,
      actions,
    });
  const steer = (on: boolean, params: Record<string, unknown>) =>
    ok({ type: 'setPlayIntervention', steering: { on, params } });
  return { engine, send, ok, load, steer };
}

/** The model and the window after `actions`, built apart from the engine. */
function reference(actions: number[]): { model: DecisionTransformer; window: DTInputs } {
  const s = openSession(loadCheckpoint(new Uint8Array(bytes), FILE), {
    gemm: new TsGemm(),
    weights: 'raw',
    initialRtg: 0.9,
  });
  replayEpisode(s, SEED, actions);
  return { model: s.model, window: s.window() };
}

/** Logits of the window with `hook += c · vector` by a plain hook (vector [P, d] flat). */
function addedRun(
  model: DecisionTransformer,
  window: DTInputs,
  hook: string,
  vector: Float32Array,
  c: number,
) {
  const run = model.run(window, {
    hooks: [
      { name: hook, fn: (act: Tensor) => void act.data.forEach((v, i) => (act.data[i] = v + c * vector[i])) },
    ],
  });
  return predictionFrom(run.actionPreds!);
}

/** corrupted − clean at `hook` by two plain cached runs. */
function avec(model: DecisionTransformer, window: DTInputs, corrupted: DTInputs, hook: string): Float32Array {
  const a = model.run(window, { cache: [hook] }).cache!.get(hook).data;
  const b = model.run(corrupted, { cache: [hook] }).cache!.get(hook).data;
  return b.map((v, i) => v - a[i]);
}

const allRtg0 = (model: DecisionTransformer, window: DTInputs) =>
  corruptWindow(window, [{ kind: 'all-rtg', value: 0 }], { nActions: 7, maxTimestep: model.maxTimestep })
    .corrupted;

describe('play steering', () => {
  it('off is bit-identical to no steering; coefficient 0 on too', () => {
    const plain = session();
    const base = plain.load([2, 2]).view;
    const s = session();
    s.load([2, 2]);
    const off = s.steer(false, { ...RTG0, layer: 1, coefficient: 4 }).view;
    expect(off.prediction).toEqual(base.prediction);
    expect(off.steering).toMatchObject({ on: false, unsteered: base.prediction });
    expect(off.steering!.steered.probs).not.toEqual(base.prediction.probs);
    expect(s.ok({ type: 'act' }).view.trajectory).toEqual(plain.ok({ type: 'act' }).view.trajectory);
    const zero = s.steer(true, { ...RTG0, layer: 1, coefficient: 0 }).view;
    expect(zero.steering!.steered).toEqual(zero.steering!.unsteered);
    expect(zero.prediction).toEqual(plain.ok({ type: 'refresh' }).view.prediction);
  });

  it('on: the prediction is the window plus c · (corrupted − clean) at the hook, rebuilt per window', () => {
    const s = session();
    s.load([2]);
    const hook = 'blocks.1.hook_resid_pre';
    const r = s.steer(true, { ...RTG0, layer: 1, coefficient: 2.5 }).view;
    const { model, window } = reference([2]);
    const want = addedRun(model, window, hook, avec(model, window, allRtg0(model, window), hook), 2.5);
    expectClose(r.prediction.logits, want.logits, 1e-5, { metric: 'abs' });
    expect(r.prediction).toEqual(r.steering!.steered);
    expectDiffer(r.steering!.steered.logits, r.steering!.unsteered.logits, 1e-3);
    expect(r.steering!.description).toMatch(/corrupted − clean at blocks\.1\.hook_resid_pre/);
    // the next window gets its own vector
    const next = s.ok({ type: 'step', action: 2 }).view;
    const w2 = reference([2, 2]);
    const want2 = addedRun(
      w2.model,
      w2.window,
      hook,
      avec(w2.model, w2.window, allRtg0(w2.model, w2.window), hook),
      2.5,
    );
    expectClose(next.prediction.logits, want2.logits, 1e-5, { metric: 'abs' });
  });

  it('coefficient 1 at blocks.0.hook_resid_pre plays the corrupted window', () => {
    const s = session();
    s.load([2, 2, 2]);
    const r = s.steer(true, { ...RTG0, layer: 0, coefficient: 1 }).view;
    const { model, window } = reference([2, 2, 2]);
    const corrupted = predictionFrom(model.run(allRtg0(model, window)).actionPreds!);
    expectClose(r.prediction.probs, corrupted.probs, 1e-5, { metric: 'abs' });
  });

  it('toggling mid-episode keeps the episode; act follows the steered prediction only while on', () => {
    const s = session();
    s.load();
    s.steer(true, { ...RTG0, layer: 0, coefficient: 1 });
    const played: number[] = [];
    let view = s.ok({ type: 'refresh' }).view;
    for (let i = 0; i < 8 && !view.episodeEnd; i++) {
      const on = i < 5;
      if (i === 5) view = s.steer(false, view.steering!.params).view;
      expect(view.steering!.on).toBe(on);
      const expected = (on ? view.steering!.steered : view.steering!.unsteered).greedyAction;
      view = s.ok({ type: 'act' }).view;
      played.push(expected);
      expect(view.trajectory.actions).toEqual(played);
    }
    // steered, the agent turns right to the wrong object at step 5 (unsteered it goes forward)
    expect(played.slice(0, 5)).toEqual([2, 2, 2, 2, 1]);
    // the episode is the one the same actions replay without steering
    const replayed = session().load(played).view;
    expect(view.window).toEqual(replayed.window);
    expect(view.trajectory).toEqual(replayed.trajectory);
    expect(view.steering!.unsteered).toEqual(replayed.prediction);
    // a reset keeps the steering; removing it drops the view
    expect(s.ok({ type: 'reset', seed: 5 }).view.steering?.on).toBe(false);
    expect(s.ok({ type: 'setPlayIntervention', steering: null }).view.steering).toBeNull();
  });

  it('steers along a saved direction broadcast to every position', () => {
    const s = session();
    s.load([2]);
    const vectors = new Float32Array(2 * 128).map((_, i) => Math.sin(i));
    const { tensors, metadata } = directionsToTensors({
      name: 'mine',
      labels: ['u0', 'u1'],
      vectors: { shape: [2, 128], data: vectors },
      source: 'test',
    });
    s.ok({ type: 'setDirections', bytes: writeSafetensors(tensors, metadata) });
    const r = s.steer(true, { source: 'direction', direction: 1, layer: 1, coefficient: 3 }).view;
    const { model, window } = reference([2]);
    const P = r.window.length;
    const flat = new Float32Array(P * 128);
    for (let p = 0; p < P; p++) flat.set(vectors.subarray(128, 256), p * 128);
    const want = addedRun(model, window, 'blocks.1.hook_resid_pre', flat, 3);
    expectClose(r.prediction.logits, want.logits, 1e-5, { metric: 'abs' });
    expect(r.steering!.description).toMatch(/saved direction u1 \(mine\)/);
  });

  it('refuses bad settings with a one-line error and keeps the steering it had', () => {
    const s = session();
    s.load();
    s.steer(true, { ...RTG0, layer: 1, coefficient: 2 });
    expect(
      s.send({ type: 'setPlayIntervention', steering: { on: true, params: { layer: 7 } } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: 'steering layer 7 does not exist (the model has 2 layers)' },
    });
    expect(
      s.send({ type: 'setPlayIntervention', steering: { on: true, params: { source: 'direction' } } }),
    ).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: /^no saved directions/ } });
    expect(s.ok({ type: 'refresh' }).view.steering).toMatchObject({
      on: true,
      params: { layer: 1, coefficient: 2 },
    });
    // loading a model forgets the steering
    expect(s.load().view.steering).toBeNull();
  });

  it('the card shows the settings the source and corruption read', () => {
    const p = defaultParams(PLAY_STEERING_PARAMS);
    const shown = (over: Record<string, string>) =>
      Object.keys(shownParams(PLAY_STEERING_PARAMS, { ...p, ...over }));
    expect(shown({})).toEqual([
      'source',
      'corruption',
      'step',
      'x',
      'y',
      'object',
      'hook',
      'layer',
      'coefficient',
    ]);
    expect(shown({ corruption: 'all-rtg' })).toEqual([
      'source',
      'corruption',
      'value',
      'hook',
      'layer',
      'coefficient',
    ]);
    expect(shown({ source: 'direction' })).toEqual(['source', 'direction', 'hook', 'layer', 'coefficient']);
  });
});
