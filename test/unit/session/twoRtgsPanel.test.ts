/**
 * The two-RTG window panel in the engine on dtlens's default MemoryS7 model: after a few steps, its
 * result equals the library (`attentionAtTwoRtgs`, `logitLensAtTwoRtgs`, `attributionsAtTwoRtgs`) on the
 * same window at the chosen position; equal RTGs give zero differences.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attentionAtTwoRtgs,
  attributionsAtTwoRtgs,
  logitLensAtTwoRtgs,
} from '../../../src/analysis/features/twoRtgs.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { Engine } from '../../../src/session/engine.ts';
import { openSession } from '../../../src/session/openSession.ts';
import { replayEpisode } from '../../../src/session/replay.ts';
import type { TwoRtgsResult } from '../../../src/session/panels/twoRtgs.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';

const MODEL = 'MiniGrid-MemoryS7FixedStart-v0.safetensors';
const bytes = () => new Uint8Array(readFileSync(new URL(`../../../models/${MODEL}`, import.meta.url)));
const ckpt = loadCheckpoint(bytes());
const ACTIONS = [2, 2, 1];

describe('two-rtgs panel', () => {
  it('is the library run on the current window at the chosen position', () => {
    const engine = new Engine(new TsGemm());
    const load = { type: 'load' as const, bytes: bytes(), fileName: MODEL, seed: 0, initialRtg: 0.9 };
    engine.handle({ id: 1, command: { ...load, actions: ACTIONS, weights: 'raw' }, panels: [] });
    const session = openSession(ckpt, { gemm: new TsGemm(), weights: 'raw', initialRtg: 0.9 });
    replayEpisode(session, 0, ACTIONS);
    const window = session.window();
    const params = { rtgA: 0.2, rtgB: 0.9, level: 'components', positive: 2, negative: 0 };
    const out = engine.computePanels([{ id: 'two-rtgs', params }], 'S3').panels['two-rtgs'];
    expect(out.ok).toBe(true);
    const r = (out as { data: TwoRtgsResult }).data;
    const position = r.attention.tokenLabels.indexOf('S3');
    expect(r.position).toBe(position);
    const direction = { positive: 2, negative: 0 };
    expect(r.attention).toEqual(attentionAtTwoRtgs(session.model, window, [0.2, 0.9]));
    expect(r.lens).toEqual(logitLensAtTwoRtgs(session.model, window, [0.2, 0.9], { direction, position }));
    expect(r.attribution).toEqual(
      attributionsAtTwoRtgs(session.model, window, [0.2, 0.9], { direction, position }),
    );
    expect(r.attribution.difference.some((d) => Math.abs(d) > 1e-4)).toBe(true);

    const same = engine.computePanels([{ id: 'two-rtgs', params: { ...params, rtgB: 0.2 } }]).panels[
      'two-rtgs'
    ] as { data: TwoRtgsResult };
    expect(same.data.attention.difference.data.every((v) => v === 0)).toBe(true);
    expect(same.data.lens.difference.every((v) => v === 0)).toBe(true);
  });
});
