/**
 * Argument checks shared by every `Gemm` backend, so that all of them reject the same bad calls
 * with the same `DtlensError` (code `BAD_SHAPE` or `BAD_INPUT`).
 */
import { check } from '../errors.ts';
import type { BatchedMatmulOptions } from './gemm.ts';

function checkDim(value: number, name: string): void {
  check(
    Number.isSafeInteger(value) && value >= 0,
    'BAD_SHAPE',
    () => `gemm: ${name} must be an integer >= 0, got ${value}`,
  );
}

/**
 * Validates a (batched) matmul call and returns the output buffer: `opts.out` when given, otherwise a
 * new zeroed Float32Array of batch*m*n. `matmul` is checked as `bmm` with batch 1.
 */
export function checkGemmArgs(
  a: Float32Array,
  b: Float32Array,
  batch: number,
  m: number,
  k: number,
  n: number,
  opts: BatchedMatmulOptions,
): Float32Array {
  checkDim(batch, 'batch');
  checkDim(m, 'm');
  checkDim(k, 'k');
  checkDim(n, 'n');
  check(
    a instanceof Float32Array && b instanceof Float32Array,
    'BAD_INPUT',
    'gemm: operands must be Float32Arrays',
  );
  const needA = batch * m * k;
  const needB = (opts.broadcastB ? 1 : batch) * k * n;
  const needC = batch * m * n;
  check(a.length >= needA, 'BAD_SHAPE', () => `gemm: A has ${a.length} values, needs ${needA}`);
  check(b.length >= needB, 'BAD_SHAPE', () => `gemm: B has ${b.length} values, needs ${needB}`);
  check(!opts.accumulate || opts.out !== undefined, 'BAD_INPUT', 'gemm: accumulate needs an out buffer');
  if (opts.out === undefined) return new Float32Array(needC);
  check(opts.out instanceof Float32Array, 'BAD_INPUT', 'gemm: out must be a Float32Array');
  check(
    opts.out.length >= needC,
    'BAD_SHAPE',
    () => `gemm: out has ${opts.out?.length} values, needs ${needC}`,
  );
  return opts.out;
}
