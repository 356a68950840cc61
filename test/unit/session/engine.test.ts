/**
 * The engine behind the worker protocol: request ids, errors as `{ code, message }`, a bad file leaving the
 * loaded model usable, URL-state replay, and panels computed only when open. Checked against the golden
 * rollout of MemoryGatedMLP (seed 0, initial RTG 0.9) where ../shared is available.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { toFloat32 } from '../../../src/io/rawTensor.ts';
import { directionsToTensors } from '../../../src/analysis/static/directions.ts';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.ts';
import { tokenLabels } from '../../../src/model/tokens.ts';
import { Engine } from '../../../src/session/engine.ts';
import { softmax } from '../../../src/session/playSession.ts';
import type {
  EngineCommand,
  EngineReply,
  EngineResult,
  PanelRequest,
} from '../../../src/session/protocol.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { expectClose } from '../../support/compare.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../../support/shared.ts';

const NAME = 'MemoryGatedMLP';

describeWithShared('engine protocol', () => {
  let bytes: Uint8Array;
  let golden: { actions: number[]; rewards: number[]; logits: Float32Array; nActions: number };

  /** A fresh engine per test, so that no test depends on what another one loaded. */
  function session() {
    let id = 0;
    const engine = new Engine(new TsGemm());
    const send = (command: EngineCommand, panels: PanelRequest[] = []): EngineReply => {
      const reply = engine.handle({ id: ++id, command, panels });
      expect(reply.id).toBe(id);
      return reply;
    };
    const load = (actions: number[], panels: PanelRequest[] = []) =>
      send({ type: 'load', bytes, fileName: `${NAME}.pt`, seed: 0, initialRtg: 0.9, actions }, panels);
    return { engine, send, load };
  }
  const ok = (reply: EngineReply): EngineResult => {
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply.result;
  };
  /** Softmax of the golden rollout's logits at step k, against the engine's prediction. */
  const expectGoldenProbs = (probs: ArrayLike<number>, k: number) =>
    expectClose(probs, softmax(golden.logits.subarray(k * 7, (k + 1) * 7)), 5e-6, {
      metric: 'abs',
      label: `step ${k} probabilities`,
    });

  beforeAll(() => {
    bytes = readFileSync(sharedPath('models', `${NAME}.pt`));
    const traj = readSharedJson<{
      trajectories: { seed: number; file: string; actions: number[]; rewards: number[] }[];
    }>('golden', NAME, 'trajectories.json').trajectories.find((t) => t.seed === 0)!;
    const tensors = readSafetensors(readFileSync(sharedPath('golden', NAME, traj.file))).tensors;
    golden = {
      actions: traj.actions,
      rewards: traj.rewards,
      logits: toFloat32(tensors.get('episode.step_action_logits')!),
      nActions: 7,
    };
  });

  it('refuses commands before a model is loaded, with a code and a message', () => {
    const { send } = session();
    const reply = send({ type: 'step', action: 2 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: /no model is loaded/ } });
  });

  it('loads a model and shows the padded first window with the golden prediction', () => {
    const { engine, load } = session();
    const r = ok(load([]));
    expect(r.model).toMatchObject({
      envId: 'MiniGrid-MemoryS7FixedStart-v0',
      nActions: 7,
      maxLen: 9,
      nCtx: 26,
    });
    expect(r.model!.hookNames).toContain('blocks.1.attn.hook_pattern');
    expect(r.view.window.map((t) => t.label)).toEqual(tokenLabels(26));
    expect(r.view.window.filter((t) => !t.padding).map((t) => t.label)).toEqual(['R9', 'S9']);
    expect(r.view).toMatchObject({ steps: 0, time: 0, episodeEnd: null, frameLabels: ['S9'] });
    expect(r.view.frames.items).toHaveLength(1);
    expect(r.view.frames.items[0].gridSvg).toMatch(/^<svg/);
    expectGoldenProbs(r.view.prediction.probs, 0);
    expect(engine.computePanels([]).panels).toEqual({});
  });

  it('keeps the loaded model usable after a bad file', () => {
    const { send, load } = session();
    ok(load([]));
    const bad = send({
      type: 'load',
      bytes: new TextEncoder().encode('not a model'),
      fileName: 'x.pt',
      seed: 0,
      initialRtg: 0.9,
      actions: [],
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toMatch(/^BAD_/);
      expect(bad.error.message.length).toBeGreaterThan(5);
    }
    const stepped = ok(send({ type: 'step', action: golden.actions[0] }));
    expect(stepped.model).toBeUndefined();
    expect(stepped.view.steps).toBe(1);
    expectGoldenProbs(stepped.view.prediction.probs, 1);
  });

  it('replays URL actions and matches the golden rollout step by step, up to the goal', () => {
    const { send, load } = session();
    for (let k = 1; k < golden.actions.length; k++) {
      const r = ok(load(golden.actions.slice(0, k)));
      expect(r.view.steps).toBe(k);
      expect(r.view.trajectory.actions).toEqual(golden.actions.slice(0, k));
      expectGoldenProbs(r.view.prediction.probs, k);
      expect(r.view.frameLabels.at(-1)).toBe('S9');
    }
    const end = ok(load(golden.actions));
    expect(end.view.episodeEnd).toBe('terminated');
    // the golden episode's return: 1 - 0.9 * 6 / 1000 at the goal, 0 before it
    expect(golden.rewards).toEqual([0, 0, 0, 0, 0, 0.9946]);
    expect(end.view.totalReward).toBeCloseTo(1 - (0.9 * 6) / 1000, 12);
    expect(send({ type: 'step', action: 2 })).toMatchObject({
      ok: false,
      error: { message: /episode has ended/ },
    });
    // extra actions after the end are dropped
    expect(ok(load([...golden.actions, 2, 2])).view.steps).toBe(golden.actions.length);
  });

  it('lets the model act greedily (the golden greedy episode)', () => {
    const { send, load } = session();
    ok(load([]));
    golden.actions.forEach((_, k) => {
      const r = ok(send({ type: 'act' }));
      expect(r.view.trajectory.actions).toEqual(golden.actions.slice(0, k + 1));
    });
    expect(ok(send({ type: 'refresh' })).view.episodeEnd).toBe('terminated');
  });

  it('re-targets the RTG of the whole window', () => {
    const { send, load } = session();
    ok(load(golden.actions.slice(0, 2)));
    const r = ok(send({ type: 'setRtg', initialRtg: 0.25 }));
    expect(r.view.window.filter((t) => t.kind === 'R').every((t) => t.value === 0.25)).toBe(true);
    expect(r.view.frames.items).toHaveLength(0);
  });

  it('computes open panels only, and reports panel errors without failing the request', () => {
    const { engine, send, load } = session();
    ok(load([]));
    const panels = [
      { id: 'cache', params: { hook: 'blocks.1.attn.hook_pattern' } },
      { id: 'nope', params: {} },
    ];
    ok(send({ type: 'refresh' }, panels));
    const r = engine.computePanels(panels);
    expect(Object.keys(r.panels).sort()).toEqual(['cache', 'nope']);
    expect(r.panels.nope).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    const cache = r.panels.cache;
    expect(cache.ok).toBe(true);
    if (cache.ok) {
      const slice = cache.data as {
        rows: string;
        cols: string;
        data: { shape: number[]; data: Float32Array };
      };
      expect(slice).toMatchObject({ rows: 'query', cols: 'key' });
      expect(slice.data.shape).toEqual([26, 26]);
      // attention rows sum to one
      for (let q = 0; q < 26; q++)
        expect(slice.data.data.subarray(q * 26, q * 26 + 26).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    }
    const badPanels = [{ id: 'cache', params: { hook: 'blocks.9.hook_resid_pre' } }];
    ok(send({ type: 'refresh' }, badPanels));
    expect(engine.computePanels(badPanels).panels.cache).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
  });

  it('recomputes only panels whose window, position or settings changed', () => {
    const { engine, send, load } = session();
    ok(load([]));
    const attention = { id: 'attention', params: {} };
    const lens = { id: 'logit-lens', params: { positive: 2, negative: 0 } };
    ok(send({ type: 'refresh' }, [attention, lens]));
    expect(Object.keys(engine.computePanels([attention, lens]).panels).sort()).toEqual([
      'attention',
      'logit-lens',
    ]);
    // nothing changed: nothing recomputed
    ok(send({ type: 'refresh' }, [attention, lens]));
    expect(engine.computePanels([attention, lens]).panels).toEqual({});
    // one panel's settings changed: only that one
    const lens2 = { ...lens, params: { positive: 2, negative: 1 } };
    ok(send({ type: 'refresh' }, [attention, lens2]));
    expect(Object.keys(engine.computePanels([attention, lens2]).panels)).toEqual(['logit-lens']);
    // the window changed: both
    ok(send({ type: 'step', action: golden.actions[0] }, [attention, lens2]));
    expect(Object.keys(engine.computePanels([attention, lens2]).panels).sort()).toEqual([
      'attention',
      'logit-lens',
    ]);
    // a closed and reopened panel is sent again
    ok(send({ type: 'refresh' }, [lens2]));
    expect(engine.computePanels([lens2]).panels).toEqual({});
    ok(send({ type: 'refresh' }, [attention, lens2]));
    expect(Object.keys(engine.computePanels([attention, lens2]).panels)).toEqual(['attention']);
  });

  it('computes panels one at a time: the ones not reached when the worker stops follow the next command', () => {
    const { engine, send, load } = session();
    ok(load([]));
    const attention = { id: 'attention', params: {} };
    const lens = { id: 'logit-lens', params: {} };
    ok(send({ type: 'step', action: golden.actions[0] }, [attention, lens]));
    const updates = engine.panelUpdates([attention, lens]);
    const first = updates.next();
    expect(first.done).toBe(false);
    expect(first.value![0]).toBe('attention');
    expect(first.value![1]).toMatchObject({ ok: true });
    // the worker stops here (a newer command is waiting): the logit lens was never computed nor sent
    ok(send({ type: 'refresh' }, [attention, lens]));
    expect(Object.keys(engine.computePanels([attention, lens]).panels)).toEqual(['logit-lens']);
  });

  it('exports the window and its corruption under a causal panel’s settings as a pair file', () => {
    const { engine, load } = session();
    ok(load(golden.actions.slice(0, 4)));
    const params = { corruption: 'all-rtg', value: 0 };
    const file = readSafetensors(engine.pairFile({ id: 'path-patching', params }));
    const window = readSafetensors(engine.windowFile()).tensors;
    for (const name of ['states', 'rtgs', 'timesteps', 'actions']) {
      const clean = file.tensors.get(`clean.${name}`)!;
      expect(clean.shape, name).toEqual(window.get(`inputs.${name}`)!.shape);
      expect(Array.from(clean.data as ArrayLike<unknown>), name).toEqual(
        Array.from(window.get(`inputs.${name}`)!.data as ArrayLike<unknown>),
      );
    }
    expect(Array.from(toFloat32(file.tensors.get('corrupted.rtgs')!))).toEqual(
      new Array(file.tensors.get('corrupted.rtgs')!.shape[1]).fill(0),
    );
    expect(Array.from(file.tensors.get('corrupted.states')!.data as Float32Array)).toEqual(
      Array.from(file.tensors.get('clean.states')!.data as Float32Array),
    );
    expect(file.metadata).toMatchObject({
      model: `${NAME}.pt`,
      seed: '0',
      actions: golden.actions.slice(0, 4).join(','),
    });
    expect(file.metadata.changes).toMatch(/RTG/i);
    expect(() => engine.pairFile({ id: 'attention', params: {} })).toThrow(
      '"attention" has no corruption settings to export a pair of',
    );
  });

  it('points window panels at the chosen position, and refuses one outside the window', () => {
    const { engine, send, load } = session();
    ok(load(golden.actions.slice(0, 3)));
    const lens = { id: 'logit-lens', params: {} };
    ok(send({ type: 'refresh' }, [lens]));
    const at = (position: number | null) => {
      const o = engine.computePanels([lens], position).panels['logit-lens'];
      if (!o.ok) throw new Error(o.error.message);
      return (o.data as { lens: { position: number } }).lens.position;
    };
    expect(at(null)).toBe(25); // the last S token of 26
    expect(at(4)).toBe(4);
    expect(engine.computePanels([lens], 26).panels['logit-lens']).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /token position 26 is outside 0..25/ },
    });
  });

  it('switches weights variants keeping the episode; raw and processed predict the same', () => {
    const { send, load } = session();
    const raw = ok(load(golden.actions.slice(0, 4)));
    expect(raw.model!.weights).toBe('raw');
    const processed = ok(send({ type: 'setWeights', weights: 'processed' }));
    expect(processed.model!.weights).toBe('processed');
    expect(processed.view.trajectory.actions).toEqual(golden.actions.slice(0, 4));
    processed.view.prediction.logits.forEach((l, a) =>
      expect(Math.abs(l - raw.view.prediction.logits[a])).toBeLessThan(1e-4),
    );
    const compat = ok(send({ type: 'setWeights', weights: 'dti-compat' }));
    expect(compat.view.steps).toBe(4);
    expect(send({ type: 'setWeights', weights: 'folded' as never })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /weights must be one of raw, processed, dti-compat/ },
    });
    expect(ok(send({ type: 'refresh' })).view.steps).toBe(4);
  });

  it('directions kept by the Embeddings panel reach the OV panel in the same refresh', () => {
    const { engine, load } = session();
    ok(load([]));
    const ov = { id: 'ov-circuit', params: { vocab: 'directions', figure: 'strip' } };
    const emb = { id: 'embeddings', params: { keep: 2 } };
    expect(engine.computePanels([ov]).panels['ov-circuit']).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /no saved directions/ },
    });
    // the OV panel is listed first but computes after the panel that stores the directions
    const r = engine.computePanels([ov, emb]).panels;
    expect(r.embeddings.ok).toBe(true);
    const o = r['ov-circuit'];
    if (!o.ok) throw new Error(o.error.message);
    const c = (o.data as { circuit: { rowLabels: string[]; values: { shape: number[] } } }).circuit;
    expect(c.rowLabels).toEqual(['state PCA PC1', 'state PCA PC2']);
    expect(c.values.shape).toEqual([2, 4, 2, 7]);
    // nothing changed: nothing recomputed; loading the model again forgets the directions
    expect(engine.computePanels([ov, emb]).panels).toEqual({});
    ok(load([]));
    expect(engine.computePanels([ov]).panels['ov-circuit']).toMatchObject({ ok: false });
  });

  it('setDirections keeps a saved-directions file; a wrong width is a typed error in the panel', () => {
    const { engine, send, load } = session();
    ok(load([]));
    const ov = { id: 'ov-circuit', params: { vocab: 'directions', figure: 'strip' } };
    const file = (k: number, d: number) => {
      const { tensors, metadata } = directionsToTensors({
        name: 'mine',
        labels: Array.from({ length: k }, (_, i) => `u${i}`),
        vectors: { shape: [k, d], data: new Float32Array(k * d).fill(0.5) },
        source: 'test',
      });
      return writeSafetensors(tensors, metadata);
    };
    ok(send({ type: 'setDirections', bytes: file(3, 128) }));
    const o = engine.computePanels([ov]).panels['ov-circuit'];
    if (!o.ok) throw new Error(o.error.message);
    expect((o.data as { circuit: { rowLabels: string[] } }).circuit.rowLabels).toEqual(['u0', 'u1', 'u2']);
    ok(send({ type: 'setDirections', bytes: file(2, 5) }));
    expect(engine.computePanels([ov]).panels['ov-circuit']).toMatchObject({
      ok: false,
      error: { code: 'BAD_SHAPE', message: /width 5, the model's residual stream has 128/ },
    });
    const notDirections = writeSafetensors({ x: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    expect(send({ type: 'setDirections', bytes: notDirections })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: /not a directions file/ },
    });
  });
});
