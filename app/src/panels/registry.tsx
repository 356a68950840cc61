/** UI halves of the analysis panels, keyed by the ids of the worker registry (`src/session/panels.ts`). */
import { AttentionView } from './AttentionView.tsx';
import { CacheView } from './CacheView.tsx';
import { LogitLensView } from './LogitLensView.tsx';
import { ObservationView } from './ObservationView.tsx';
import type { PanelView } from './types.ts';

export const PANEL_VIEWS: Record<string, PanelView> = {
  attention: {
    title: 'Attention',
    description: 'Every head’s attention pattern or scores over the window, value weighting optional.',
    defaultParams: { values: 'pattern', weighting: 'none' },
    View: AttentionView,
  },
  'logit-lens': {
    title: 'Logit lens & decomposition',
    description: 'The logit difference through the residual stream and per component.',
    defaultParams: { positive: 0, negative: 1 },
    View: LogitLensView,
  },
  observation: {
    title: 'Observation view',
    description: 'The one-hot channels of the current observation and their embedding contributions.',
    defaultParams: { positive: 0, negative: 1 },
    View: ObservationView,
  },
  cache: {
    title: 'Cache browser',
    description: 'Any hook point of the forward pass as a heatmap.',
    defaultParams: { hook: 'blocks.0.hook_resid_post' },
    View: CacheView,
  },
};
