import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import {
  readDtiTrajectories,
  splitTrajectories,
  type DtiTrajectoryFile,
} from '../../../src/io/dtiTrajectories.ts';
import type { RawTensor } from '../../../src/io/rawTensor.ts';

const t2 = (rows: number[][], dtype: 'F64' | 'BOOL' | 'I64'): RawTensor => {
  const flat = rows.flat();
  const data =
    dtype === 'F64'
      ? Float64Array.from(flat)
      : dtype === 'I64'
        ? BigInt64Array.from(flat.map(BigInt))
        : Uint8Array.from(flat);
  return { dtype, shape: [rows.length, rows[0].length], data };
};

/** 3 steps x 2 envs of 1x1x3 observations; obs value = 10 * t + env. */
function fakeFile(dones: number[][], truncated: number[][]): DtiTrajectoryFile {
  const obs = new Float64Array(3 * 2 * 3);
  for (let t = 0; t < 3; t++)
    for (let b = 0; b < 2; b++) obs.fill(10 * t + b, (t * 2 + b) * 3, (t * 2 + b + 1) * 3);
  return {
    observations: { dtype: 'F64', shape: [3, 2, 1, 1, 3], data: obs },
    actions: t2(
      [
        [0, 1],
        [2, 0],
        [1, 1],
      ],
      'I64',
    ),
    rewards: t2(
      [
        [0, 0],
        [1, 0],
        [0, -1],
      ],
      'F64',
    ),
    dones: t2(dones, 'BOOL'),
    truncated: t2(truncated, 'BOOL'),
    rtgs: null,
    infos: null,
    metadata: { args: null, time: null },
    nSteps: 3,
    nEnvs: 2,
    obsShape: [1, 1, 3],
    observationType: 'index',
  };
}

describe('splitTrajectories', () => {
  it('flattens env-major and splits after done | truncated', () => {
    // env 0: done at t=1, then one step truncated; env 1: runs to the forced truncation at t=2
    const trajs = splitTrajectories(
      fakeFile(
        [
          [0, 0],
          [1, 0],
          [0, 0],
        ],
        [
          [0, 0],
          [0, 0],
          [1, 1],
        ],
      ),
    );
    expect(trajs.map((t) => [t.env, t.startStep, t.length])).toEqual([
      [0, 0, 2],
      [0, 2, 1],
      [1, 0, 3],
    ]);
    expect(Array.from(trajs[0].actions)).toEqual([0, 2]);
    expect(trajs[0].returns).toBe(1);
    expect(Array.from(trajs[2].observations.filter((_, i) => i % 3 === 0))).toEqual([1, 11, 21]);
    expect(Array.from(trajs[2].timesteps)).toEqual([0, 1, 2]);
    expect(trajs[2].returns).toBe(-1);
    expect(Array.from(trajs[2].truncated)).toEqual([0, 0, 1]);
  });

  it("like DTI, lets an unfinished env's tail run on into the next env", () => {
    const trajs = splitTrajectories(
      fakeFile(
        [
          [0, 0],
          [0, 0],
          [0, 1],
        ],
        [
          [0, 0],
          [0, 0],
          [0, 0],
        ],
      ),
    );
    expect(trajs.map((t) => t.length)).toEqual([6]);
  });
});

describe('readDtiTrajectories on broken input', () => {
  it('maps corrupt xz, gzip and pickle data to typed errors', async () => {
    const xz = Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(readDtiTrajectories(xz)).rejects.toThrow(DtlensError);
    const gz = gzipSync(new TextEncoder().encode('not a pickle at all'));
    await expect(readDtiTrajectories(gz)).rejects.toThrow(DtlensError);
    await expect(readDtiTrajectories(gz.subarray(0, 12))).rejects.toThrow(DtlensError);
    await expect(readDtiTrajectories(Uint8Array.from([0x80, 0x04, 0x4e, 0x2e]))).rejects.toMatchObject({
      code: 'BAD_DATASET',
    });
  });
});
