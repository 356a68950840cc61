/**
 * The UI side of the worker protocol: command promises keyed by request id (errors arrive as
 * `{ code, message }`), the panel outcomes that follow each reply, jobs with progress and cancel, and
 * file exports.
 */
import type {
  EngineCommand,
  EngineError,
  EngineResult,
  FromEngine,
  PanelOutcome,
  PanelRequest,
  ToEngine,
  TokenPosition,
} from '../../src/session/protocol.ts';

/** A file the worker writes: the window, the report, or a causal panel's pair. */
export type FileRequest =
  { kind: 'exportWindow' } | { kind: 'report' } | { kind: 'exportPair'; panel: PanelRequest };

export class EngineFailure extends Error {
  constructor(readonly error: EngineError) {
    super(error.message);
  }
}

interface Pending<T> {
  resolve: (r: T) => void;
  reject: (e: Error) => void;
}

/** A running job: its outcome (an error outcome when cancelled) and a way to cancel it. */
export interface JobHandle {
  outcome: Promise<PanelOutcome>;
  cancel: () => void;
}

export class EngineClient {
  private nextId = 1;
  private readonly commands = new Map<number, Pending<EngineResult>>();
  private readonly files = new Map<number, Pending<Uint8Array>>();
  private readonly jobs = new Map<
    number,
    { done: (o: PanelOutcome) => void; progress: (done: number, total: number) => void }
  >();
  /** Called with the outcomes of the open panels that changed after each command. */
  onPanels: (panels: Record<string, PanelOutcome>, computeMs: number) => void = () => {};

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<FromEngine>) => this.receive(event.data);
    worker.onerror = (event) => {
      const failure = new EngineFailure({
        code: 'WORKER',
        message: event.message || 'the engine worker crashed',
      });
      for (const p of [...this.commands.values(), ...this.files.values()]) p.reject(failure);
      for (const j of this.jobs.values()) j.done({ ok: false, error: failure.error });
      this.commands.clear();
      this.files.clear();
      this.jobs.clear();
    };
  }

  static start(): EngineClient {
    return new EngineClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
  }

  private post(message: ToEngine, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private receive(m: FromEngine): void {
    switch (m.kind) {
      case 'reply': {
        const p = this.commands.get(m.id);
        this.commands.delete(m.id);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new EngineFailure(m.error));
        return;
      }
      case 'panels':
        this.onPanels(m.panels, m.computeMs);
        return;
      case 'progress':
        this.jobs.get(m.jobId)?.progress(m.done, m.total);
        return;
      case 'job':
        this.jobs.get(m.jobId)?.done(m.outcome);
        this.jobs.delete(m.jobId);
        return;
      case 'file': {
        const p = this.files.get(m.id);
        this.files.delete(m.id);
        if (m.outcome.ok) p?.resolve(m.outcome.bytes);
        else p?.reject(new EngineFailure(m.outcome.error));
      }
    }
  }

  send(
    command: EngineCommand,
    panels: PanelRequest[],
    position: TokenPosition = null,
  ): Promise<EngineResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.commands.set(id, { resolve, reject });
      // Model bytes are transferred, not copied.
      const transfer = command.type === 'load' ? [command.bytes.buffer as ArrayBuffer] : [];
      this.post({ kind: 'command', id, command, panels, position }, transfer);
    });
  }

  runJob(
    panel: PanelRequest,
    position: TokenPosition,
    progress: (done: number, total: number) => void,
  ): JobHandle {
    const jobId = this.nextId++;
    const outcome = new Promise<PanelOutcome>((done) => this.jobs.set(jobId, { done, progress }));
    this.post({ kind: 'job', jobId, panel, position });
    return { outcome, cancel: () => this.post({ kind: 'cancel', jobId }) };
  }

  /**
   * The current window as safetensors (`inputs.*` layout), the HTML report, or the clean/corrupted pair
   * under a causal panel's settings.
   */
  file(request: FileRequest): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.files.set(id, { resolve, reject });
      this.post({ ...request, id });
    });
  }
}
