/**
 * The panel registry (worker side): each analysis panel declares the hook points it needs and computes
 * plain data from one cached forward pass of the current window. Only open panels compute. A new
 * analysis becomes a panel by adding an entry here and a view in `app/src/panels/views.tsx`.
 */
import {
  attentionPatterns,
  type AttentionValues,
  type ValueWeighting,
} from '../analysis/dynamic/attention.ts';
import { cacheSlice, defaultSliceRequest, hookDimensions } from '../analysis/dynamic/cacheBrowser.ts';
import { decomposeLogitDiff } from '../analysis/dynamic/decomposition.ts';
import type { LogitDirectionSpec } from '../analysis/dynamic/logitDirection.ts';
import { logitLens } from '../analysis/dynamic/logitLens.ts';
import { observationView } from '../analysis/dynamic/observation.ts';
import type { AnalysisRun } from '../analysis/dynamic/run.ts';
import { DtlensError } from '../errors.ts';
import type { DTArchitecture } from '../model/architecture.ts';
import type { NameFilter } from '../model/hooks.ts';

/** Hook points a panel reads: `true` = the whole cache. */
export type PanelNeeds = true | NameFilter;

export interface PanelCompute {
  id: string;
  title: string;
  needs(arch: DTArchitecture, params: Record<string, unknown>): PanelNeeds;
  compute(run: AnalysisRun, params: Record<string, unknown>): unknown;
}

const str = (p: Record<string, unknown>, key: string, fallback: string): string =>
  typeof p[key] === 'string' ? (p[key] as string) : fallback;
const int = (p: Record<string, unknown>, key: string, fallback: number): number =>
  Number.isInteger(p[key]) ? (p[key] as number) : fallback;

/** `{ positive, negative }` from panel params; `negative: -1` means a single action's logit. */
function direction(p: Record<string, unknown>): LogitDirectionSpec {
  const negative = int(p, 'negative', 1);
  return { positive: int(p, 'positive', 0), negative: negative < 0 ? null : negative };
}

const cacheBrowser: PanelCompute = {
  id: 'cache',
  title: 'Cache browser',
  needs: (_arch, p) => str(p, 'hook', 'blocks.0.hook_resid_post'),
  compute(run, p) {
    const hook = str(p, 'hook', 'blocks.0.hook_resid_post');
    if (!run.cache.has(hook)) throw new DtlensError('BAD_INPUT', `this model has no hook point "${hook}"`);
    const dims = hookDimensions(hook, run.cache.get(hook).rank);
    const def = defaultSliceRequest(run, hook);
    const rows = dims.includes(str(p, 'rows', '')) ? str(p, 'rows', '') : def.rows;
    const cols =
      dims.includes(str(p, 'cols', '')) && str(p, 'cols', '') !== rows ? str(p, 'cols', '') : def.cols;
    const fixed = typeof p.fixed === 'object' && p.fixed ? (p.fixed as Record<string, number>) : {};
    return cacheSlice(run, { hook, rows: rows === cols ? def.rows : rows, cols, fixed });
  },
};

const attention: PanelCompute = {
  id: 'attention',
  title: 'Attention',
  needs: () => (name) => /attn\.hook_(pattern|attn_scores|v)$/.test(name),
  compute: (run, p) =>
    attentionPatterns(run, {
      values: str(p, 'values', 'pattern') as AttentionValues,
      valueWeighting:
        str(p, 'values', 'pattern') === 'scores' ? 'none' : (str(p, 'weighting', 'none') as ValueWeighting),
    }),
};

const logitLensPanel: PanelCompute = {
  id: 'logit-lens',
  title: 'Logit lens & residual decomposition',
  needs: () => true,
  compute: (run, p) => ({
    lens: logitLens(run, { direction: direction(p) }),
    decomposition: decomposeLogitDiff(run, { direction: direction(p), neurons: false }),
  }),
};

const observation: PanelCompute = {
  id: 'observation',
  title: 'Observation view',
  needs: () => 'hook_embed',
  compute: (run, p) => observationView(run, { direction: direction(p) }),
};

/** Every panel, in display order. */
export const PANELS: readonly PanelCompute[] = [attention, logitLensPanel, observation, cacheBrowser];

export const panelById = (id: string): PanelCompute | undefined => PANELS.find((p) => p.id === id);
