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
 * Products with at least this many multiply-accumulates go to ORT under `auto`. Measured with
 * `npm run bench -- gemm` (square n^3 sweep, 3 runs on the shared 2-core machine): ORT costs a fixed
 * 15-30 us per call; TS was faster up to 24^3 (13.8k MACs, ts/ort 0.8-0.9), about even at 32^3
 * (32.8k MACs, ts/ort 1.0-1.4), and 1.7-2.8x slower from 40^3 (64k MACs) on. Every model GEMM at
 * batch 1 is above it.
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
