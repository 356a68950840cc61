/**
 * `WasmGemm`: a synchronous, isomorphic GEMM on WebAssembly SIMD (simd128), built from
 * `wasm/gemm/gemm.ts` (AssemblyScript) into the committed `wasmGemmBinary.ts`.
 *
 * Each call copies the raw operands into the module's memory with `TypedArray.set` (a memcpy), and the
 * module packs them into zero-padded panels (handling the transposes there), multiplies with a 4x8
 * register tile of f32x4 accumulators in float32, as PyTorch's float32 GEMMs do, and the product is
 * copied back into the output. Packing inside the module rather than in JS keeps the wrapper's per-call
 * work to memcpys, the cheapest way across the JS/wasm boundary. Memory grows on demand up to `maxBytes`
 * (1 GiB by default; larger calls throw `DtlensError('BAD_INPUT')`) and is reused across calls. The
 * module is compiled once per process (`new WebAssembly.Module`, synchronous: it is under 2 KB).
 * Because operands are copied, `out` may even overlap `a` or `b`.
 */
import { DtlensError, check } from '../errors.ts';
import type { BatchedMatmulOptions, Gemm, MatmulOptions } from './gemm.ts';
import { checkGemmArgs } from './gemmArgs.ts';
import { WASM_GEMM_BASE64 } from './wasmGemmBinary.ts';

interface GemmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(
    a: number,
    b: number,
    c: number,
    batch: number,
    m: number,
    k: number,
    n: number,
    strideA: number,
    strideB: number,
    strideC: number,
    transA: number,
    transB: number,
    accumulate: number,
    scratch: number,
  ): void;
}

const MR = 4;
const NR = 8;
const PAGE_BYTES = 65_536;
const DEFAULT_MAX_BYTES = 2 ** 30;

let moduleBytes: Uint8Array<ArrayBuffer> | undefined;
let compiled: WebAssembly.Module | undefined;

function bytes(): Uint8Array<ArrayBuffer> {
  moduleBytes ??= Uint8Array.from(atob(WASM_GEMM_BASE64), (ch) => ch.charCodeAt(0));
  return moduleBytes;
}

/** True when this runtime has WebAssembly with the SIMD (simd128) instructions the module uses. */
export function isWasmGemmSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(bytes());
}

/** Rounds a float count up to a multiple of 4 (16-byte alignment). */
const align4 = (floats: number): number => Math.ceil(floats / 4) * 4;

export interface WasmGemmOptions {
  /** Upper bound on the module's memory in bytes (default 1 GiB); calls needing more throw. */
  maxBytes?: number;
}

export class WasmGemm implements Gemm {
  readonly name = 'wasm';
  /** 8,300-9,600 MACs/us single-threaded on 192^3-512^3 products (best of 3, loaded 2-core machine). */
  readonly macsPerMicrosecond = 8_000;
  private readonly exports: GemmExports;
  private readonly base: number;
  private readonly maxBytes: number;
  private heap: Float32Array;

  constructor(options: WasmGemmOptions = {}) {
    check(
      isWasmGemmSupported(),
      'UNSUPPORTED',
      'WasmGemm needs WebAssembly with SIMD (simd128); use TsGemm here',
    );
    compiled ??= new WebAssembly.Module(bytes());
    this.exports = new WebAssembly.Instance(compiled, {}).exports as unknown as GemmExports;
    this.base = this.exports.heapBase() / 4;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    check(
      Number.isFinite(this.maxBytes) && this.maxBytes > 0,
      'BAD_INPUT',
      () => `wasm gemm: maxBytes must be a positive number, got ${this.maxBytes}`,
    );
    this.heap = new Float32Array(this.exports.memory.buffer);
  }

  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    opts: MatmulOptions = {},
  ): Float32Array {
    const c = checkGemmArgs(a, b, 1, m, k, n, opts);
    this.run(a, b, c, 1, m, k, n, false, opts);
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
    // A shared B multiplies the stacked rows of every item: one [batch*m, k] product.
    if (opts.broadcastB && !opts.transA) this.run(a, b, c, 1, batch * m, k, n, true, opts);
    else this.run(a, b, c, batch, m, k, n, opts.broadcastB === true, opts);
    return c;
  }

  /** Copies the operands in, runs the module's batched GEMM and copies the product out to `c`. */
  private run(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    k: number,
    n: number,
    sharedB: boolean,
    opts: MatmulOptions,
  ): void {
    const sizeC = batch * m * n;
    if (sizeC === 0) return;
    const sizeA = batch * m * k;
    const sizeB = (sharedB ? 1 : batch) * k * n;
    const offA = this.base;
    const offB = offA + align4(sizeA);
    const offC = offB + align4(sizeB);
    const scratch = offC + align4(sizeC);
    const end = scratch + Math.ceil(n / NR) * NR * k + Math.ceil(m / MR) * MR * k + MR * NR;
    const heap = this.reserve(end * 4);
    heap.set(a.subarray(0, sizeA), offA);
    heap.set(b.subarray(0, sizeB), offB);
    const accumulate = opts.accumulate === true;
    if (accumulate) heap.set(c.subarray(0, sizeC), offC);
    this.exports.gemm(
      offA * 4,
      offB * 4,
      offC * 4,
      batch,
      m,
      k,
      n,
      m * k,
      sharedB ? 0 : k * n,
      m * n,
      +(opts.transA === true),
      +(opts.transB === true),
      +accumulate,
      scratch * 4,
    );
    c.set(heap.subarray(offC, offC + sizeC));
  }

  /** Grows the memory to at least `byteLength` and returns a current float view of it. */
  private reserve(byteLength: number): Float32Array {
    const memory = this.exports.memory;
    if (byteLength > this.maxBytes) {
      throw new DtlensError(
        'BAD_INPUT',
        `wasm gemm: product needs ${byteLength} bytes of memory, more than the ${this.maxBytes} allowed`,
      );
    }
    const pages = Math.ceil(byteLength / PAGE_BYTES) - memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) {
      try {
        memory.grow(pages);
      } catch (e) {
        throw new DtlensError('BAD_INPUT', `wasm gemm: cannot grow memory to ${byteLength} bytes (${e})`);
      }
    }
    if (this.heap.buffer !== memory.buffer) this.heap = new Float32Array(memory.buffer);
    return this.heap;
  }
}
