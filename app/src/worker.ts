/// <reference lib="webworker" />
/** The engine worker: one `Engine`, one reply per request, in order. */
import { Engine } from '../../src/session/engine.ts';
import type { EngineRequest } from '../../src/session/protocol.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { WasmGemm, isWasmGemmSupported } from '../../src/tensor/wasmGemm.ts';

// WebAssembly SIMD GEMM (6-10x the plain-TS kernel), or the TS reference where SIMD is unavailable.
const engine = new Engine(isWasmGemmSupported() ? new WasmGemm() : new TsGemm(), () => performance.now());

self.onmessage = (event: MessageEvent<EngineRequest>) => {
  self.postMessage(engine.handle(event.data));
};
