/** The UI side of the worker protocol: promises keyed by request id; errors arrive as `{ code, message }`. */
import type {
  EngineCommand,
  EngineError,
  EngineReply,
  EngineResult,
  PanelRequest,
} from '../../src/session/protocol.ts';

export class EngineFailure extends Error {
  constructor(readonly error: EngineError) {
    super(error.message);
  }
}

export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: EngineResult) => void; reject: (e: Error) => void }
  >();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<EngineReply>) => {
      const reply = event.data;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new EngineFailure(reply.error));
    };
    worker.onerror = (event) => {
      const failure = new EngineFailure({
        code: 'WORKER',
        message: event.message || 'the engine worker crashed',
      });
      for (const p of this.pending.values()) p.reject(failure);
      this.pending.clear();
    };
  }

  static start(): EngineClient {
    return new EngineClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
  }

  send(command: EngineCommand, panels: PanelRequest[]): Promise<EngineResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Model bytes are transferred, not copied.
      const transfer = command.type === 'load' ? [command.bytes.buffer as ArrayBuffer] : [];
      this.worker.postMessage({ id, command, panels }, transfer);
    });
  }
}
