/**
 * The `Gemm` used in Node: plain TS, WebAssembly SIMD, onnxruntime-node, or `auto` (wasm below
 * `ORT_MIN_MACS`, ORT above), and the fused core that goes with it. Instances are shared per kind, so
 * ORT sessions are created once per process.
 */
import { DtlensError } from '../errors.ts';
import { createAutoGemm } from '../tensor/autoGemm.ts';
import type { Gemm } from '../tensor/gemm.ts';
import { TsGemm } from '../tensor/gemmTs.ts';
import { WasmGemm } from '../tensor/wasmGemm.ts';
import type { FusedCore } from '../model/transformer.ts';
import { OrtFusedCore } from './ortCore.ts';
import { OrtGemm } from './ortGemm.ts';

export type GemmBackend = 'ts' | 'wasm' | 'ort' | 'auto';
export const GEMM_BACKENDS: readonly GemmBackend[] = ['ts', 'wasm', 'ort', 'auto'];

/**
 * Products with at least this many multiply-accumulates go to ORT under `auto`, smaller ones to wasm.
 * Measured with `npm run bench -- gemm` (square n^3 sweep on the shared, loaded 2-core machine): ORT
 * costs a fixed 14-18 us per call, so wasm was 5-30x faster up to 32^3 (32.8k MACs) and 2.5x at 48^3
 * (110k); they were even at 64^3 (262k MACs, ort/wasm 0.9) and ORT's two threads won from 96^3 on
 * (ort/wasm 0.4-0.65). At batch 1 the attention bmms (86k MACs) stay on wasm, the projections go to ORT.
 */
export const ORT_MIN_MACS = 262_144;

const instances = new Map<GemmBackend, Gemm>();

function create(backend: GemmBackend): Gemm {
  switch (backend) {
    case 'ts':
      return new TsGemm();
    case 'wasm':
      return new WasmGemm();
    case 'ort':
      return new OrtGemm();
    case 'auto':
      return createAutoGemm(nodeGemm('wasm'), nodeGemm('ort'), ORT_MIN_MACS);
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

let ortFusedCore: OrtFusedCore | undefined;

/**
 * The fused hook-free core for models on `backend`: ORT's whole-core graph for `ort` and `auto`, none
 * for `ts` and `wasm` (their models run the TS core everywhere, as in the browser).
 */
export function nodeFusedCore(backend: GemmBackend): FusedCore | undefined {
  if (backend !== 'ort' && backend !== 'auto') return undefined;
  ortFusedCore ??= new OrtFusedCore();
  return ortFusedCore;
}
