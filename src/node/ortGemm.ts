/**
 * `OrtGemm`: GEMMs on onnxruntime-node, called synchronously through its native binding
 * (`ortBinding.ts`), so the forward stays a plain function call.
 *
 * One cached session per (rank, transA, transB, broadcastB), built from a tiny ONNX graph with
 * symbolic dims: rank 2 is the `Gemm` op with its transpose attributes; rank 3 is `MatMul` after
 * `Transpose` nodes for transposed operands (B of rank 2 when broadcast). Results are written
 * straight into the output buffer through a preallocated output tensor; `accumulate` adds the
 * product into `out` in JS. `out` must not overlap `a` or `b`.
 */
import type { BatchedMatmulOptions, Gemm, MatmulOptions } from '../tensor/gemm.ts';
import { checkGemmArgs } from '../tensor/gemmArgs.ts';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode } from './onnxGraph.ts';
import { type NativeSession, type OrtSessionOptions, OrtTensor, loadOrtSession } from './ortBinding.ts';

/**
 * Thread settings of every session. Measured on the shared 2-core machine, spinning did not speed up a
 * batch-1 forward's GEMM sequence and slowed batch 256 under load, so it is off by default.
 */
export type OrtGemmOptions = OrtSessionOptions;

/** The graph computing C = op(A) · op(B), with dims named M, K, N (and Batch for rank 3). */
function gemmGraph(rank: 2 | 3, transA: boolean, transB: boolean, broadcastB: boolean): OnnxGraph {
  if (rank === 2) {
    return {
      nodes: [
        { op: 'Gemm', inputs: ['A', 'B'], outputs: ['C'], attrs: { transA: +transA, transB: +transB } },
      ],
      inputs: [
        { name: 'A', dims: transA ? ['K', 'M'] : ['M', 'K'] },
        { name: 'B', dims: transB ? ['N', 'K'] : ['K', 'N'] },
      ],
      outputs: [{ name: 'C', dims: ['M', 'N'] }],
    };
  }
  const nodes: OnnxNode[] = [];
  if (transA) nodes.push({ op: 'Transpose', inputs: ['A'], outputs: ['At'], attrs: { perm: [0, 2, 1] } });
  if (transB)
    nodes.push({
      op: 'Transpose',
      inputs: ['B'],
      outputs: ['Bt'],
      attrs: { perm: broadcastB ? [1, 0] : [0, 2, 1] },
    });
  nodes.push({ op: 'MatMul', inputs: [transA ? 'At' : 'A', transB ? 'Bt' : 'B'], outputs: ['C'] });
  const bDims = transB ? ['N', 'K'] : ['K', 'N'];
  return {
    nodes,
    inputs: [
      { name: 'A', dims: transA ? ['Batch', 'K', 'M'] : ['Batch', 'M', 'K'] },
      { name: 'B', dims: broadcastB ? bDims : ['Batch', ...bDims] },
    ],
    outputs: [{ name: 'C', dims: ['Batch', 'M', 'N'] }],
  };
}

export class OrtGemm implements Gemm {
  readonly name = 'ort';
  /** About 80 GFLOP/s with 2 threads on the project's machine (`ts_stack.md` §1.1). */
  readonly macsPerMicrosecond = 40_000;
  private readonly sessions = new Map<string, NativeSession>();

  constructor(private readonly options: OrtGemmOptions = {}) {}

  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    opts: MatmulOptions = {},
  ): Float32Array {
    const c = checkGemmArgs(a, b, 1, m, k, n, opts);
    const transA = opts.transA === true;
    const transB = opts.transB === true;
    if (this.isTrivial(c, m * n, k, opts.accumulate === true)) return c;
    this.run(
      this.session(2, transA, transB, false),
      a.subarray(0, m * k),
      transA ? [k, m] : [m, k],
      b.subarray(0, k * n),
      transB ? [n, k] : [k, n],
      c,
      [m, n],
      opts.accumulate === true,
    );
    return c;
  }

  bmm(
    a: Float32Array,
    b: Float32Array,
    batch: number,
    m: number,
    k: number,
    n: number,
    opts: BatchedMatmulOptions = {},
  ): Float32Array {
    const c = checkGemmArgs(a, b, batch, m, k, n, opts);
    const transA = opts.transA === true;
    const transB = opts.transB === true;
    const broadcastB = opts.broadcastB === true;
    if (this.isTrivial(c, batch * m * n, k, opts.accumulate === true)) return c;
    // A shared B multiplies the stacked rows of every item: one [batch*m, k] GEMM.
    if (broadcastB && !transA) return this.matmul(a, b, batch * m, k, n, { ...opts, out: c });
    this.run(
      this.session(3, transA, transB, broadcastB),
      a.subarray(0, batch * m * k),
      transA ? [batch, k, m] : [batch, m, k],
      b.subarray(0, (broadcastB ? 1 : batch) * k * n),
      [...(broadcastB ? [] : [batch]), ...(transB ? [n, k] : [k, n])],
      c,
      [batch, m, n],
      opts.accumulate === true,
    );
    return c;
  }

  /** Releases every cached native session. */
  dispose(): void {
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
  }

  /** Handles empty products in JS (ORT is never called with a zero dim): true when `c` is final. */
  private isTrivial(c: Float32Array, size: number, k: number, accumulate: boolean): boolean {
    if (size > 0 && k > 0) return false;
    if (!accumulate) c.fill(0, 0, size);
    return true;
  }

  private session(rank: 2 | 3, transA: boolean, transB: boolean, broadcastB: boolean): NativeSession {
    const key = `${rank}${+transA}${+transB}${+broadcastB}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = loadOrtSession(encodeOnnxModel(gemmGraph(rank, transA, transB, broadcastB)), this.options);
      this.sessions.set(key, session);
    }
    return session;
  }

  private run(
    session: NativeSession,
    a: Float32Array,
    aDims: number[],
    b: Float32Array,
    bDims: number[],
    c: Float32Array,
    cDims: number[],
    accumulate: boolean,
  ): void {
    const size = cDims.reduce((p, d) => p * d, 1);
    const feeds = { A: new OrtTensor('float32', a, aDims), B: new OrtTensor('float32', b, bDims) };
    if (!accumulate) {
      session.run(feeds, { C: new OrtTensor('float32', c.subarray(0, size), cDims) }, {});
      return;
    }
    const product = session.run(feeds, { C: null }, {}).C.data as Float32Array;
    for (let i = 0; i < size; i++) c[i] += product[i];
  }
}
