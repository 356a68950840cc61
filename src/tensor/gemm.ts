/**
 * The matrix-multiply kernel interface. All heavy math of dtlens goes through a `Gemm`;
 * everything O(n) (norms, softmax, activations, adds) stays in plain TypeScript loops.
 *
 * Operands are row-major Float32Arrays (subarray views are fine). Calls are synchronous so that
 * the forward pass and its hooks stay plain function calls.
 */
export interface MatmulOptions {
  /** A is stored as [k, m] and used transposed. */
  transA?: boolean;
  /** B is stored as [n, k] and used transposed. */
  transB?: boolean;
  /** Write the result here (length >= m*n, or batch*m*n for `bmm`) instead of allocating. */
  out?: Float32Array;
  /** Add the product into `out` instead of overwriting it. */
  accumulate?: boolean;
}

export interface BatchedMatmulOptions extends MatmulOptions {
  /** B is one matrix shared by every batch item (stride 0). */
  broadcastB?: boolean;
}

export interface Gemm {
  readonly name: string;
  /**
   * Rough sustained multiply-accumulates per microsecond on large products. Callers use it to choose
   * between a dense product on this kernel and a sparse plain-loop algorithm (about 500 MACs/us).
   */
  readonly macsPerMicrosecond: number;
  /** C[m,n] = op(A)[m,k] · op(B)[k,n]. */
  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    opts?: MatmulOptions,
  ): Float32Array;
  /** C[i] = op(A[i]) · op(B[i]) for i < batch; strides m*k, k*n (0 with broadcastB) and m*n. */
  bmm(
    a: Float32Array,
    b: Float32Array,
    batch: number,
    m: number,
    k: number,
    n: number,
    opts?: BatchedMatmulOptions,
  ): Float32Array;
}
