/**
 * A dense float32 tensor: row-major, contiguous `data` plus a `shape`. Views share `data`
 * (reshape); everything else copies. This is the one array type of the engine.
 */
import { DtlensError } from '../errors.ts';

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export const shapeString = (shape: Shape): string => `[${shape.join(', ')}]`;

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;

  constructor(data: Float32Array, shape: Shape) {
    for (const s of shape) {
      if (!Number.isInteger(s) || s < 0)
        throw new DtlensError('BAD_SHAPE', `invalid tensor shape ${shapeString(shape)}`);
    }
    if (data.length !== numelOf(shape)) {
      throw new DtlensError(
        'BAD_SHAPE',
        `tensor of shape ${shapeString(shape)} needs ${numelOf(shape)} values, got ${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  static zeros(shape: Shape): Tensor {
    return new Tensor(new Float32Array(numelOf(shape)), shape);
  }

  /** A tensor from nested numbers or a flat list plus shape. */
  static from(values: ArrayLike<number>, shape: Shape): Tensor {
    return new Tensor(Float32Array.from(values), shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** Same data, new shape (one dimension may be -1). */
  reshape(shape: Shape): Tensor {
    const known = shape.reduce((p, s) => (s === -1 ? p : p * s), 1);
    const inferred = shape.map((s) => (s === -1 ? this.size / known : s));
    return new Tensor(this.data, inferred);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Flat offset of a full index. */
  offset(index: readonly number[]): number {
    let o = 0;
    for (let i = 0; i < this.shape.length; i++) o = o * this.shape[i] + index[i];
    return o;
  }

  get(...index: number[]): number {
    return this.data[this.offset(index)];
  }

  /** Sub-tensor along the first axis (a view sharing data). */
  at(i: number): Tensor {
    const inner = this.shape.slice(1);
    const n = numelOf(inner);
    return new Tensor(this.data.subarray(i * n, (i + 1) * n), inner);
  }

  /** The last index along `axis`, keeping the axis (length 1): a copy. */
  lastAlong(axis: number): Tensor {
    const n = this.shape[axis];
    const outer = numelOf(this.shape.slice(0, axis));
    const inner = numelOf(this.shape.slice(axis + 1));
    const out = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++)
      out.set(this.data.subarray((o * n + n - 1) * inner, (o * n + n) * inner), o * inner);
    return new Tensor(
      out,
      this.shape.map((s, i) => (i === axis ? 1 : s)),
    );
  }

  /** Nested JS arrays, for JSON output and tests. */
  toNested(): unknown {
    const build = (dim: number, base: number): unknown => {
      if (dim === this.shape.length) return this.data[base];
      const stride = numelOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, base + i * stride));
    };
    return build(0, 0);
  }
}
