import type { ComponentType } from 'react';
import type { ParamValues } from '../../../src/session/params.ts';
import type { EngineCommand, ModelInfo, SessionView } from '../../../src/session/protocol.ts';

export interface PanelViewProps {
  model: ModelInfo;
  view: SessionView;
  /** What the panel's `compute` (or job `run`) returned in the worker. */
  data: unknown;
  /** The panel's settings (every key of its schema). */
  params: ParamValues;
  setParams: (params: ParamValues) => void;
  /** Sends a command to the worker (e.g. `setDirections`); the open panels refresh after it. */
  command?: (command: EngineCommand) => void;
}

/**
 * The UI half of a panel; the worker half (same id, with title, group, help and settings schema) is
 * in `src/session/panels/`. Without `ownsSettings` the shell draws a form for the settings schema.
 */
export interface PanelView {
  View: ComponentType<PanelViewProps>;
  /** The view draws its own controls for every setting. */
  ownsSettings?: boolean;
  /** Controls drawn under the settings even before a job has run (e.g. loading a file into the session). */
  Controls?: ComponentType<Pick<PanelViewProps, 'command' | 'view'>>;
}
