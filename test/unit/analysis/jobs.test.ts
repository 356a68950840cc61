import { describe, expect, it } from 'vitest';
import { forEachChunk } from '../../../src/analysis/jobs.ts';
import { DtlensError } from '../../../src/errors.ts';

describe('forEachChunk', () => {
  it('covers every row once, in order, and reports progress after each chunk', async () => {
    const ranges: [number, number][] = [];
    const progress: number[] = [];
    await forEachChunk(
      10,
      { chunkRows: 4, onProgress: (done, total) => progress.push(done / total) },
      (s, e) => {
        ranges.push([s, e]);
      },
    );
    expect(ranges).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(progress).toEqual([0.4, 0.8, 1]);
  });

  it('stops with CANCELLED at the next chunk boundary once aborted', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const job = forEachChunk(10, { chunkRows: 3, signal: ac.signal }, (s) => {
      seen.push(s);
      if (s === 3) ac.abort();
    });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(job).rejects.toBeInstanceOf(DtlensError);
    expect(seen).toEqual([0, 3]);
  });

  it('refuses a chunk size that is not a positive integer', async () => {
    await expect(forEachChunk(3, { chunkRows: 0 }, () => {})).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
