/**
 * AssemblyScript source of the WebAssembly SIMD (simd128) GEMM behind `WasmGemm`
 * (`src/tensor/wasmGemm.ts`). Built by `npm run build:wasm` into `src/tensor/wasmGemmBinary.ts`.
 *
 * All pointers are byte offsets into this module's memory, laid out by the TypeScript wrapper:
 * the raw row-major operands A, B and C, then scratch for packed panels. `gemm` packs op(A) into
 * zero-padded MR-row panels [k][MR] and transposed B into zero-padded NR-column panels [k][NR] (this is
 * where transposes are handled; for small m, untransposed B is read in place instead), then runs a 4x8 register tile of eight f32x4 accumulators over the panels,
 * in float32 (multiply then add, as a non-FMA float32 BLAS does). Packed B is visited in column blocks
 * that fit in L2 so that the A panels stay in L1 while a block is reused.
 */

const MR = 4;
const NR = 8;
/** Packed-B floats per column block (128 KB of float32). */
const BLOCK_FLOATS = 1 << 15;
/** Up to this many rows of op(A), untransposed B is read in place instead of packed (measured faster). */
const DIRECT_B_MAX_ROWS = 64;

/** First byte the wrapper may use, 16-aligned. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Packs op(A)[m,k] into ceil(m/MR) panels of [k][MR] at `dst`, zero rows past m. */
function packA(a: usize, m: i32, k: i32, transA: bool, dst: usize): void {
  for (let i0 = 0; i0 < m; i0 += MR) {
    const panel = dst + ((<usize>i0 * <usize>k) << 2);
    for (let r = 0; r < MR; r++) {
      const i = i0 + r;
      let o = panel + ((<usize>r) << 2);
      if (i >= m) {
        for (let p = 0; p < k; p++, o += MR << 2) store<f32>(o, 0);
      } else if (transA) {
        let s = a + ((<usize>i) << 2);
        const step = (<usize>m) << 2;
        for (let p = 0; p < k; p++, o += MR << 2, s += step) store<f32>(o, load<f32>(s));
      } else {
        let s = a + ((<usize>i * <usize>k) << 2);
        for (let p = 0; p < k; p++, o += MR << 2, s += 4) store<f32>(o, load<f32>(s));
      }
    }
  }
}

/**
 * Packs columns [from, n) of op(B)[k,n] into panels of [k][NR] at `dst` (the panel of column j0 at j0*k
 * floats), zero columns past n.
 */
function packB(b: usize, k: i32, n: i32, transB: bool, from: i32, dst: usize): void {
  for (let j0 = from; j0 < n; j0 += NR) {
    const panel = dst + ((<usize>j0 * <usize>k) << 2);
    for (let q = 0; q < NR; q++) {
      const j = j0 + q;
      let o = panel + ((<usize>q) << 2);
      if (j >= n) {
        for (let p = 0; p < k; p++, o += NR << 2) store<f32>(o, 0);
      } else if (transB) {
        let s = b + ((<usize>j * <usize>k) << 2);
        for (let p = 0; p < k; p++, o += NR << 2, s += 4) store<f32>(o, load<f32>(s));
      } else {
        let s = b + ((<usize>j) << 2);
        const step = (<usize>n) << 2;
        for (let p = 0; p < k; p++, o += NR << 2, s += step) store<f32>(o, load<f32>(s));
      }
    }
  }
}

/**
 * C tile [rows<=MR, cols<=NR] at `c` (row stride ldc floats) = or += A panel · B panel over k, where
 * the B panel's rows of NR floats are `bStride` bytes apart. Partial tiles go through `tmp` (MR*NR floats).
 */
function tile(
  ap: usize,
  bp: usize,
  bStride: usize,
  k: i32,
  c: usize,
  ldc: i32,
  rows: i32,
  cols: i32,
  accumulate: bool,
  tmp: usize,
): void {
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += MR << 2;
    bp += bStride;
  }
  const row = (<usize>ldc) << 2;
  if (rows == MR && cols == NR) {
    const c1 = c + row;
    const c2 = c1 + row;
    const c3 = c2 + row;
    if (accumulate) {
      c00 = f32x4.add(v128.load(c), c00);
      c01 = f32x4.add(v128.load(c, 16), c01);
      c10 = f32x4.add(v128.load(c1), c10);
      c11 = f32x4.add(v128.load(c1, 16), c11);
      c20 = f32x4.add(v128.load(c2), c20);
      c21 = f32x4.add(v128.load(c2, 16), c21);
      c30 = f32x4.add(v128.load(c3), c30);
      c31 = f32x4.add(v128.load(c3, 16), c31);
    }
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c1, c10);
    v128.store(c1, c11, 16);
    v128.store(c2, c20);
    v128.store(c2, c21, 16);
    v128.store(c3, c30);
    v128.store(c3, c31, 16);
    return;
  }
  v128.store(tmp, c00);
  v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32);
  v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64);
  v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96);
  v128.store(tmp, c31, 112);
  for (let r = 0; r < rows; r++) {
    const src = tmp + ((<usize>(r * NR)) << 2);
    const dst = c + <usize>r * row;
    for (let q = 0; q < cols; q++) {
      const at = dst + ((<usize>q) << 2);
      const v = load<f32>(src + ((<usize>q) << 2));
      store<f32>(at, accumulate ? load<f32>(at) + v : v);
    }
  }
}

/**
 * C[i] = or += op(A[i])[m,k] · op(B[i])[k,n] for i < batch, with item strides in floats (strideB 0
 * shares one B). `scratch` needs ceil(n/NR)*NR*k + ceil(m/MR)*MR*k + MR*NR floats, 16-aligned.
 */
export function gemm(
  a: usize,
  b: usize,
  c: usize,
  batch: i32,
  m: i32,
  k: i32,
  n: i32,
  strideA: i32,
  strideB: i32,
  strideC: i32,
  transA: bool,
  transB: bool,
  accumulate: bool,
  scratch: usize,
): void {
  const np = (n + NR - 1) & ~(NR - 1);
  const mp = (m + MR - 1) & ~(MR - 1);
  const packedB = scratch;
  const packedA = packedB + ((<usize>np * <usize>k) << 2);
  const tmp = packedA + ((<usize>mp * <usize>k) << 2);
  const blockCols = max(NR, (BLOCK_FLOATS / max(k, 1) / NR) * NR);
  // With few rows, packing B costs more than it saves: untransposed B is then read in place where a
  // whole NR-column panel exists (rows n floats apart), and only its last partial panel is packed.
  const direct = transB || m > DIRECT_B_MAX_ROWS ? 0 : (n / NR) * NR;
  for (let i = 0; i < batch; i++) {
    const bi = b + ((<usize>i * <usize>strideB) << 2);
    if (i == 0 || strideB != 0) packB(bi, k, n, transB, direct, packedB);
    packA(a + ((<usize>i * <usize>strideA) << 2), m, k, transA, packedA);
    const ci = c + ((<usize>i * <usize>strideC) << 2);
    for (let jc = 0; jc < n; jc += blockCols) {
      const jEnd = min(n, jc + blockCols);
      for (let ib = 0; ib < m; ib += MR) {
        const ap = packedA + ((<usize>ib * <usize>k) << 2);
        const rows = min(MR, m - ib);
        const crow = ci + ((<usize>ib * <usize>n) << 2);
        for (let jb = jc; jb < jEnd; jb += NR) {
          const inPlace = jb < direct;
          tile(
            ap,
            inPlace ? bi + ((<usize>jb) << 2) : packedB + ((<usize>jb * <usize>k) << 2),
            inPlace ? (<usize>n) << 2 : NR << 2,
            k,
            crow + ((<usize>jb) << 2),
            n,
            rows,
            min(NR, n - jb),
            accumulate,
            tmp,
          );
        }
      }
    }
  }
}
