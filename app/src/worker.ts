/// <reference lib="webworker" />
/**
 * The engine worker: one `Engine`. A command gets its reply (view and prediction) at once; the open
 * panels that changed follow one message each, every one in its own task, so the page draws each panel
 * as it arrives and a newer queued command supersedes the panels not yet computed. Jobs run
 * chunk by chunk, yielding between chunks so cancel messages and play commands get through.
 */
import { Engine } from '../../src/session/engine.ts';
import type { FromEngine, PanelOutcome, ToEngine } from '../../src/session/protocol.ts';
import { toEngineError } from '../../src/session/protocol.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { WasmGemm, isWasmGemmSupported } from '../../src/tensor/wasmGemm.ts';

// WebAssembly SIMD GEMM (6-10x the plain-TS kernel), or the TS reference where SIMD is unavailable.
const engine = new Engine(isWasmGemmSupported() ? new WasmGemm() : new TsGemm(), () => performance.now());
const jobs = new Map<number, AbortController>();
let latestCommand = 0;

const post = (message: FromEngine, transfer: Transferable[] = []) => self.postMessage(message, transfer);
/** Resolves in a new task (a message to ourselves: no 4 ms clamp, unlike nested `setTimeout`s). */
const tick = new MessageChannel();
const waiting: (() => void)[] = [];
tick.port1.onmessage = () => waiting.shift()?.();
const nextTask = () =>
  new Promise<void>((resolve) => {
    waiting.push(resolve);
    tick.port2.postMessage(null);
  });

/** Posts each panel outcome in its own task, until a newer command arrives. */
async function postPanels(id: number, updates: Iterator<[string, PanelOutcome]>): Promise<void> {
  for (;;) {
    // A separate task: the reply (or the panel before) is on its way first.
    await nextTask();
    if (latestCommand !== id) return;
    const start = performance.now();
    const next = updates.next();
    if (next.done) return;
    const [panel, outcome] = next.value;
    post({ kind: 'panels', id, panels: { [panel]: outcome }, computeMs: performance.now() - start });
  }
}

/** An export's bytes; the report yields between its sections, so play commands go on meanwhile. */
async function fileBytes(
  m: ToEngine & { kind: 'exportWindow' | 'exportPair' | 'report' },
): Promise<Uint8Array> {
  if (m.kind === 'report') return engine.report(new Date(), { yieldToEvents: nextTask });
  return m.kind === 'exportPair' ? engine.pairFile(m.panel) : engine.windowFile();
}

self.onmessage = (event: MessageEvent<ToEngine>) => {
  const m = event.data;
  switch (m.kind) {
    case 'command': {
      latestCommand = m.id;
      const reply = engine.handle(m);
      post({ kind: 'reply', ...reply });
      if (!reply.ok) return;
      void postPanels(m.id, engine.panelUpdates(m.panels, m.position ?? null));
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
    case 'exportPair':
    case 'report':
      void fileBytes(m).then(
        (bytes) =>
          post({ kind: 'file', id: m.id, outcome: { ok: true, bytes } }, [bytes.buffer as ArrayBuffer]),
        (e: unknown) => post({ kind: 'file', id: m.id, outcome: { ok: false, error: toEngineError(e) } }),
      );
  }
};
