/**
 * The engine behind the worker protocol: request ids, errors as `{ code, message }`, a bad file leaving the
 * loaded model usable, URL-state replay, and panels computed only when open. Checked against the golden
 * rollout of MemoryGatedMLP (seed 0, initial RTG 0.9) where ../shared is available.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { toFloat32 } from '../../../src/io/rawTensor.ts';
import { readSafetensors } from '../../../src/io/safetensors.ts';
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
import { describeWithShared, readSharedJson, sharedPath } from '../../support/shared.ts';

const NAME = 'MemoryGatedMLP';

describeWithShared('engine protocol', () => {
  let bytes: Uint8Array;
  let golden: { actions: number[]; logits: Float32Array; nActions: number };
  let id = 0;
  const engine = new Engine(new TsGemm());
  const send = (command: EngineCommand, panels: PanelRequest[] = []): EngineReply => {
    const reply = engine.handle({ id: ++id, command, panels });
    expect(reply.id).toBe(id);
    return reply;
  };
  const ok = (reply: EngineReply): EngineResult => {
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply.result;
  };
  const load = (actions: number[], panels: PanelRequest[] = []) =>
    send({ type: 'load', bytes, fileName: `${NAME}.pt`, seed: 0, initialRtg: 0.9, actions }, panels);

  beforeAll(() => {
    bytes = readFileSync(sharedPath('models', `${NAME}.pt`));
    const traj = readSharedJson<{ trajectories: { seed: number; file: string; actions: number[] }[] }>(
      'golden',
      NAME,
      'trajectories.json',
    ).trajectories.find((t) => t.seed === 0)!;
    const tensors = readSafetensors(readFileSync(sharedPath('golden', NAME, traj.file))).tensors;
    golden = {
      actions: traj.actions,
      logits: toFloat32(tensors.get('episode.step_action_logits')!),
      nActions: 7,
    };
  });

  it('refuses commands before a model is loaded, with a code and a message', () => {
    const reply = send({ type: 'step', action: 2 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: /no model is loaded/ } });
  });

  it('loads a model and shows the padded first window with the golden prediction', () => {
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
    const expected = softmax(golden.logits.subarray(0, 7));
    r.view.prediction.probs.forEach((p, a) => expect(p).toBeCloseTo(expected[a], 5));
    expect(engine.computePanels([]).panels).toEqual({});
  });

  it('keeps the loaded model usable after a bad file', () => {
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
    expect(ok(send({ type: 'step', action: golden.actions[0] })).view.steps).toBe(1);
  });

  it('replays URL actions and matches the golden rollout step by step, up to the goal', () => {
    for (let k = 1; k < golden.actions.length; k++) {
      const r = ok(load(golden.actions.slice(0, k)));
      expect(r.view.steps).toBe(k);
      expect(r.view.trajectory.actions).toEqual(golden.actions.slice(0, k));
      const expected = softmax(golden.logits.subarray(k * 7, (k + 1) * 7));
      r.view.prediction.probs.forEach((p, a) => expect(p).toBeCloseTo(expected[a], 5));
      expect(r.view.frameLabels.at(-1)).toBe('S9');
    }
    const end = ok(load(golden.actions));
    expect(end.view.episodeEnd).toBe('terminated');
    expect(end.view.totalReward).toBeGreaterThan(0);
    expect(send({ type: 'step', action: 2 })).toMatchObject({
      ok: false,
      error: { message: /episode has ended/ },
    });
    // extra actions after the end are dropped
    expect(ok(load([...golden.actions, 2, 2])).view.steps).toBe(golden.actions.length);
  });

  it('lets the model act greedily (the golden greedy episode)', () => {
    ok(load([]));
    for (const a of golden.actions) {
      const r = ok(send({ type: 'act' }));
      expect(r.view.trajectory.actions.at(-1)).toBe(a);
    }
  });

  it('re-targets the RTG of the whole window', () => {
    ok(load(golden.actions.slice(0, 2)));
    const r = ok(send({ type: 'setRtg', initialRtg: 0.25 }));
    expect(r.view.window.filter((t) => t.kind === 'R').every((t) => t.value === 0.25)).toBe(true);
    expect(r.view.frames.items).toHaveLength(0);
  });

  it('computes open panels only, and reports panel errors without failing the request', () => {
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

  it('points window panels at the chosen position, and refuses one outside the window', () => {
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
});
