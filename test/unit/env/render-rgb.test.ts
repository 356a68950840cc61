import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { renderObservationRgb, renderRgb, renderTileRgb } from '../../../src/env/render/index.ts';
import type { EnvSnapshot } from '../../../src/env/snapshot.ts';
import { describeWithShared, readSharedJson } from '../../support/shared.ts';

type Cell = [number, number, number];
const EMPTY: Cell = [1, 0, 0];
const tile = (cell: Cell, agentDir: number | null = null, highlight = false, ts = 32) =>
  renderTileRgb({ cell, agentDir, highlight }, ts);
const px = (img: Uint8Array, width: number, x: number, y: number) => [
  ...img.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
];

describe('renderTileRgb: hand-checkable pixels of minigrid_spec.md §5', () => {
  it('empty tile: grey row 0 and column 0, black elsewhere; highlighted 146 and 76', () => {
    const t = tile(EMPTY);
    const hl = tile(EMPTY, null, true);
    for (let i = 0; i < 32; i++) {
      expect(px(t, 32, i, 0)).toEqual([100, 100, 100]);
      expect(px(t, 32, 0, i)).toEqual([100, 100, 100]);
      expect(px(hl, 32, i, 0)).toEqual([146, 146, 146]);
    }
    expect(px(t, 32, 1, 1)).toEqual([0, 0, 0]);
    expect(px(t, 32, 31, 31)).toEqual([0, 0, 0]);
    expect(px(hl, 32, 20, 9)).toEqual([76, 76, 76]);
  });

  it('wall is uniformly grey (146 highlighted); goal is green, (76,255,76) highlighted', () => {
    expect(new Set(tile([2, 5, 0]))).toEqual(new Set([100]));
    expect(new Set(tile([2, 5, 0], null, true))).toEqual(new Set([146]));
    expect(px(tile([8, 1, 0]), 32, 0, 0)).toEqual([0, 255, 0]);
    expect(px(tile([8, 1, 0], null, true), 32, 17, 5)).toEqual([76, 255, 76]);
  });

  it('truncates float colours: blue floor 127, locked yellow door inner 114', () => {
    expect(px(tile([3, 2, 0]), 32, 5, 5)).toEqual([0, 0, 127]);
    expect(px(tile([4, 4, 2]), 32, 8, 24)).toEqual([114, 114, 0]);
    expect(px(tile([4, 4, 2]), 32, 0, 0)).toEqual([255, 255, 0]);
  });

  it('agent triangle: red at the centre, red channel ...170 56 at columns 4-5 of row 6 (dir 0)', () => {
    for (let dir = 0; dir < 4; dir++) expect(px(tile(EMPTY, dir), 32, 16, 16)).toEqual([255, 0, 0]);
    const t = tile(EMPTY, 0);
    expect([px(t, 32, 4, 6)[0], px(t, 32, 5, 6)[0]]).toEqual([170, 56]);
    // the tip points east for dir 0 and south for dir 1
    expect(px(t, 32, 26, 16)[0]).toBeGreaterThan(0);
    expect(px(t, 32, 16, 26)[0]).toBe(0);
    expect(px(tile(EMPTY, 1), 32, 16, 26)[0]).toBeGreaterThan(0);
  });
});

describeWithShared('renderTileRgb vs the 32-px tile digests derived in minigrid_spec.md §5', () => {
  const digests = readSharedJson<{
    tile32_rgb_digests: Record<string, { sha256_16: string; bytesum: number }>;
  }>('docs', 'minigrid_ref', 'derived_vectors.json').tile32_rgb_digests;
  const cases: Record<string, [Cell, number | null]> = {
    empty: [EMPTY, null],
    wall: [[2, 5, 0], null],
    goal: [[8, 1, 0], null],
    ball_blue: [[6, 2, 0], null],
    ball_green: [[6, 1, 0], null],
    key_green: [[5, 1, 0], null],
    agent_dir0: [EMPTY, 0],
    agent_dir1: [EMPTY, 1],
    agent_dir2: [EMPTY, 2],
    agent_dir3: [EMPTY, 3],
  };
  for (const [name, [cell, dir]] of Object.entries(cases)) {
    for (const hl of [false, true]) {
      const key = name + (hl ? '_hl' : '');
      it(key, () => {
        const t = tile(cell, dir, hl);
        expect(t.reduce((a, b) => a + b, 0)).toBe(digests[key].bytesum);
        expect(createHash('sha256').update(t).digest('hex').slice(0, 16)).toBe(digests[key].sha256_16);
      });
    }
  }
});

describe('renderRgb', () => {
  // 3x3: walls except the centre, agent at (1,1) facing north, visible = centre and top-middle.
  const grid = new Uint8Array(27);
  for (let i = 0; i < 9; i++) grid.set(i === 4 ? EMPTY : [2, 5, 0], i * 3);
  const visible = new Uint8Array(9);
  visible[1 * 3 + 1] = 1;
  visible[1 * 3 + 0] = 1;
  const snap: EnvSnapshot = {
    width: 3,
    height: 3,
    grid,
    agentPos: [1, 1],
    agentDir: 3,
    carrying: null,
    agentViewSize: 7,
    visible,
    stepCount: 0,
    maxSteps: 10,
    mission: '',
  };

  it('lays tiles out row-major with y down, the agent at its cell, the visible cells highlighted', () => {
    const img = renderRgb(snap, { tileSize: 8 });
    expect(img.length).toBe(24 * 24 * 3);
    const tileOf = (i: number, j: number) => {
      const out: number[] = [];
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) out.push(...px(img, 24, i * 8 + x, j * 8 + y));
      return out;
    };
    expect(tileOf(1, 1)).toEqual([...tile(EMPTY, 3, true, 8)]);
    expect(tileOf(1, 0)).toEqual([...tile([2, 5, 0], null, true, 8)]);
    expect(tileOf(0, 1)).toEqual([...tile([2, 5, 0], null, false, 8)]);
    expect(px(img, 24, 12, 12)).toEqual([255, 76, 76]); // highlighted agent centre
    const plain = renderRgb(snap, { tileSize: 8, highlight: false });
    expect(px(plain, 24, 12, 12)).toEqual([255, 0, 0]);
    expect(px(plain, 24, 9, 0)).toEqual([100, 100, 100]);
  });

  it('renders the POV of an observation with the agent at the bottom centre facing up', () => {
    const image = new Uint8Array(3 * 3 * 3);
    for (let i = 0; i < 9; i++) image.set(EMPTY, i * 3);
    image.set([0, 0, 0], (0 * 3 + 0) * 3); // unseen corner stays dark
    const img = renderObservationRgb(image, [3, 3, 3], { tileSize: 32 });
    expect(px(img, 96, 48, 80)).toEqual([255, 76, 76]);
    expect(px(img, 96, 10, 10)).toEqual([0, 0, 0]);
    expect(px(img, 96, 42, 10)).toEqual([76, 76, 76]);
  });

  it('rejects bad tile sizes and frames too large to allocate', () => {
    expect(() => renderRgb(snap, { tileSize: 0 })).toThrow(DtlensError);
    expect(() => renderRgb(snap, { tileSize: 1000 })).toThrow(DtlensError);
    const huge = {
      ...snap,
      width: 256,
      height: 256,
      grid: new Uint8Array(256 * 256 * 3),
      visible: new Uint8Array(256 * 256),
    };
    expect(() => renderRgb(huge, { tileSize: 64 })).toThrow(DtlensError); // 2^28 pixels
  });
});
