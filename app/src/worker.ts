/// <reference lib="webworker" />
/**
 * The engine worker: one `Engine`. A command gets its reply (view and prediction) at once; the open
 * panels follow in a separate message, skipped when a newer command is already queued. Jobs run
 * chunk by chunk, yielding between chunks so cancel messages and play commands get through.
 */
import { Engine } from '../../src/session/engine.ts';
import type { FromEngine, ToEngine } from '../../src/session/protocol.ts';
import { toEngineError } from '../../src/session/protocol.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { WasmGemm, isWasmGemmSupported } from '../../src/tensor/wasmGemm.ts';

// WebAssembly SIMD GEMM (6-10x the plain-TS kernel), or the TS reference where SIMD is unavailable.
const engine = new Engine(isWasmGemmSupported() ? new WasmGemm() : new TsGemm(), () => performance.now());
const jobs = new Map<number, AbortController>();
let latestCommand = 0;

const post = (message: FromEngine, transfer: Transferable[] = []) => self.postMessage(message, transfer);
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

self.onmessage = (event: MessageEvent<ToEngine>) => {
  const m = event.data;
  switch (m.kind) {
    case 'command': {
      latestCommand = m.id;
      const reply = engine.handle(m);
      post({ kind: 'reply', ...reply });
      if (!reply.ok) return;
      // A separate task: the reply is on its way first, and a queued newer command supersedes this one.
      setTimeout(() => {
        if (latestCommand !== m.id) return;
        post({ kind: 'panels', id: m.id, ...engine.computePanels(m.panels, m.position ?? null) });
      }, 0);
      return;
    }
    case 'job': {
      const controller = new AbortController();
      jobs.set(m.jobId, controller);
      void engine
        .runJob(m.panel, m.position, {
          signal: controller.signal,
          onProgress: (done, total) => post({ kind: 'progress', jobId: m.jobId, done, total }),
          yieldToEvents: nextTask,
        })
        .then((outcome) => {
          jobs.delete(m.jobId);
          post({ kind: 'job', jobId: m.jobId, outcome });
        });
      return;
    }
    case 'cancel':
      jobs.get(m.jobId)?.abort();
      return;
    case 'exportWindow':
    case 'report':
      try {
        const bytes = m.kind === 'report' ? engine.report(new Date()) : engine.windowFile();
        post({ kind: 'file', id: m.id, outcome: { ok: true, bytes } }, [bytes.buffer as ArrayBuffer]);
      } catch (e) {
        post({ kind: 'file', id: m.id, outcome: { ok: false, error: toEngineError(e) } });
      }
  }
};
