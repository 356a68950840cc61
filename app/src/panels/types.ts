import type { ComponentType } from 'react';
import type { ModelInfo } from '../../../src/session/protocol.ts';

export interface PanelViewProps {
  model: ModelInfo;
  /** What the panel's `compute` returned in the worker. */
  data: unknown;
  params: Record<string, unknown>;
  setParams: (params: Record<string, unknown>) => void;
}

/** The UI half of a panel; the worker half (same id) is in `src/session/panels.ts`. */
export interface PanelView {
  title: string;
  description: string;
  defaultParams: Record<string, unknown>;
  View: ComponentType<PanelViewProps>;
}
