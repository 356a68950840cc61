/**
 * The latest outcome of each open panel, kept outside the App's state: the worker's per-panel messages
 * update it and only the panel area re-renders (through `useSyncExternalStore`), never the play area.
 */
import type { PanelOutcome } from '../../src/session/protocol.ts';

export class PanelResults {
  private results: Readonly<Record<string, PanelOutcome>> = {};
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current outcomes (a new object after each change). */
  readonly snapshot = (): Readonly<Record<string, PanelOutcome>> => this.results;

  /** Replaces the outcomes of the given panels. */
  update(outcomes: Record<string, PanelOutcome>): void {
    this.results = { ...this.results, ...outcomes };
    for (const listener of this.listeners) listener();
  }

  /** Forgets every outcome (another model or weights variant). */
  clear(): void {
    this.results = {};
    for (const listener of this.listeners) listener();
  }
}
