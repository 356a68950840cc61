/** The scratch pool: reuse after release, distinct buffers while lent, bounded growth. */
import { describe, expect, it } from 'vitest';
import { ScratchPool } from '../../../src/tensor/scratch.ts';

describe('ScratchPool', () => {
  it('lends views of exactly the size asked, reusing released buffers', () => {
    const pool = new ScratchPool();
    const a = pool.borrow(100);
    expect(a.length).toBe(100);
    pool.release(a);
    const b = pool.borrow(60);
    expect(b.length).toBe(60);
    expect(b.buffer).toBe(a.buffer);
  });

  it('never lends one buffer twice at once (a nested borrower gets another)', () => {
    const pool = new ScratchPool();
    const outer = pool.borrow(50);
    const inner = pool.borrow(50);
    expect(inner.buffer).not.toBe(outer.buffer);
    pool.release(inner);
    pool.release(outer);
    const [x, y] = [pool.borrow(50), pool.borrow(50)];
    expect(new Set([x.buffer, y.buffer])).toEqual(new Set([outer.buffer, inner.buffer]));
  });

  it('replaces a too-small free buffer instead of keeping both', () => {
    const pool = new ScratchPool();
    const small = pool.borrow(10);
    pool.release(small);
    const big = pool.borrow(1000);
    expect(big.buffer).not.toBe(small.buffer);
    pool.release(big);
    expect(pool.borrow(10).buffer).toBe(big.buffer);
    expect(pool.borrow(10).buffer).not.toBe(small.buffer);
  });
});
