/// <reference lib="webworker" />
/** The engine worker: one `Engine`, one reply per request, in order. */
import { Engine } from '../../src/session/engine.ts';
import type { EngineRequest } from '../../src/session/protocol.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';

const engine = new Engine(new TsGemm(), () => performance.now());

self.onmessage = (event: MessageEvent<EngineRequest>) => {
  self.postMessage(engine.handle(event.data));
};
