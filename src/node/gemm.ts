/**
 * The `Gemm` used in Node: plain TS, onnxruntime-node, or `auto` (TS below `ORT_MIN_MACS`, ORT above).
 * Instances are shared per kind, so ORT sessions are created once per process.
 */
import { DtlensError } from '../errors.ts';
import { createAutoGemm } from '../tensor/autoGemm.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { TsGemm } from '../tensor/gemmTs.ts';
import { OrtGemm } from './ortGemm.ts';

export type GemmBackend = 'ts' | 'ort' | 'auto';
export const GEMM_BACKENDS: readonly GemmBackend[] = ['ts', 'ort', 'auto'];

/**
 * Products with at least this many multiply-accumulates go to ORT under `auto`. Measured by
 * `npm run bench` (bench/gemm.bench.ts): ORT's fixed cost per call is ~20-30 us, which the TS kernel
 * (~1.5-3 GFLOP/s) spends on about 32k MACs.
 */
export const ORT_MIN_MACS = 32_768;

const instances = new Map<GemmBackend, Gemm>();

function create(backend: GemmBackend): Gemm {
  switch (backend) {
    case 'ts':
      return new TsGemm();
    case 'ort':
      return new OrtGemm();
    case 'auto':
      return createAutoGemm(nodeGemm('ts'), nodeGemm('ort'), ORT_MIN_MACS);
  }
}

export function nodeGemm(backend: GemmBackend = 'auto'): Gemm {
  if (!GEMM_BACKENDS.includes(backend)) {
    throw new DtlensError(
      'BAD_INPUT',
      `unknown gemm backend '${backend}' (expected ${GEMM_BACKENDS.join(', ')})`,
    );
  }
  let gemm = instances.get(backend);
  if (!gemm) {
    gemm = create(backend);
    instances.set(backend, gemm);
  }
  return gemm;
}
