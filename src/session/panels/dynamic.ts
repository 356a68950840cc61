/**
 * Play / Dynamic panels: analyses of one cached forward pass of the current window, at the chosen
 * token position (attention's query, the logit lens's and decomposition's read-out position).
 */
import { attentionPatterns } from '../../analysis/dynamic/attention.ts';
import { cacheSlice, defaultSliceRequest, hookDimensions } from '../../analysis/dynamic/cacheBrowser.ts';
import { decomposeLogitDiff } from '../../analysis/dynamic/decomposition.ts';
import type { LogitDirectionSpec } from '../../analysis/dynamic/logitDirection.ts';
import { logitLens } from '../../analysis/dynamic/logitLens.ts';
import { observationView } from '../../analysis/dynamic/observation.ts';
import { DtlensError } from '../../errors.ts';
import type { ParamSchema, ParamValues } from '../params.ts';
import type { WindowPanel } from './types.ts';

/** Logit direction settings: positive action minus negative action (-1 = the positive logit alone). */
export const DIRECTION_PARAMS: ParamSchema = {
  positive: { kind: 'int', default: 0, min: 0, max: 9 },
  negative: { kind: 'int', default: 1, min: -1, max: 9 },
};

/** `{ positive, negative }` of the direction settings. */
export function direction(p: ParamValues): LogitDirectionSpec {
  const negative = p.negative as number;
  return { positive: p.positive as number, negative: negative < 0 ? null : negative };
}

const DIMENSION = /^[a-z_]+$/;

/** `dim:i,dim:i` of the cache browser's fixed indices. */
function parseFixed(text: string): Record<string, number> {
  const fixed: Record<string, number> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [dim, i] = part.split(':');
    const n = Number(i);
    if (!DIMENSION.test(dim ?? '') || !Number.isSafeInteger(n) || n < 0)
      throw new DtlensError('BAD_INPUT', `cache.fixed: "${part}" is not dimension:index`);
    fixed[dim] = n;
  }
  return fixed;
}

export const attentionPanel: WindowPanel = {
  id: 'attention',
  title: 'Attention',
  group: 'dynamic',
  scope: 'window',
  help:
    'Every head’s attention over the window as CircuitsVis-style thumbnails and the focused head as a ' +
    'query × key heatmap: the softmax pattern (TransformerLens `blocks.{l}.attn.hook_pattern`, DTI ' +
    '“Attention Pattern”) or the pre-softmax scores (`hook_attn_scores`, masked entries drawn as masked), ' +
    'optionally weighted by the key’s value norm (or by the query’s, DTI’s quirk). Entropies are read at ' +
    'the chosen position. Uses the active weights variant.',
  params: {
    values: { kind: 'choice', default: 'pattern', choices: ['pattern', 'scores'] },
    weighting: { kind: 'choice', default: 'none', choices: ['none', 'key', 'dti-compat'] },
    head: { kind: 'int', default: -1, min: -1, max: 4095 },
  },
  needs: () => (name) => /attn\.hook_(pattern|attn_scores|v)$/.test(name),
  compute: (run, p, ctx) =>
    attentionPatterns(run, {
      values: p.values as 'pattern' | 'scores',
      valueWeighting: p.values === 'scores' ? 'none' : (p.weighting as 'none' | 'key' | 'dti-compat'),
      query: ctx.position,
    }),
};

export const logitLensPanel: WindowPanel = {
  id: 'logit-lens',
  title: 'Logit lens & decomposition',
  group: 'dynamic',
  scope: 'window',
  help:
    'The logit difference of the chosen direction read through the residual stream (TransformerLens ' +
    '`accumulated_resid` with `apply_ln`, DTI “Logit Lens”), and the direct logit attribution of every ' +
    'layer, component and head (`decompose_resid`, `get_full_resid_decomposition`, `stack_head_results`) ' +
    'at the chosen position. Uses the active weights variant.',
  params: DIRECTION_PARAMS,
  needs: () => true,
  compute: (run, p, ctx) => ({
    lens: logitLens(run, { direction: direction(p), position: ctx.position }),
    decomposition: decomposeLogitDiff(run, {
      direction: direction(p),
      position: ctx.position,
      neurons: false,
    }),
  }),
};

export const observationPanel: WindowPanel = {
  id: 'observation',
  title: 'Observation view',
  group: 'dynamic',
  scope: 'window',
  help:
    'The one-hot channels of the newest observation and each channel’s contribution to the state ' +
    'embedding (`hook_embed`) projected on the logit direction (DTI “Observation View”). Uses the active ' +
    'weights variant.',
  params: DIRECTION_PARAMS,
  needs: () => 'hook_embed',
  compute: (run, p) => observationView(run, { direction: direction(p) }),
};

export const cachePanel: WindowPanel = {
  id: 'cache',
  title: 'Cache browser',
  group: 'dynamic',
  scope: 'window',
  help:
    'Any TransformerLens hook point of the forward pass (`ActivationCache[name]`) as a heatmap: choose the ' +
    'row and column dimensions and fix the others. Uses the active weights variant (hook values differ ' +
    'between raw and processed weights where the fold moves them, e.g. `ln*.hook_normalized`).',
  params: {
    hook: { kind: 'text', default: 'blocks.0.hook_resid_post', pattern: /^[a-z0-9_.]+$/ },
    rows: { kind: 'text', default: '', pattern: /^[a-z_]*$/ },
    cols: { kind: 'text', default: '', pattern: /^[a-z_]*$/ },
    fixed: { kind: 'text', default: '', pattern: /^[a-z_:0-9,]*$/ },
  },
  needs: (_arch, p) => p.hook as string,
  compute(run, p) {
    const hook = p.hook as string;
    if (!run.cache.has(hook)) throw new DtlensError('BAD_INPUT', `this model has no hook point "${hook}"`);
    const dims = hookDimensions(hook, run.cache.get(hook).rank);
    const def = defaultSliceRequest(run, hook);
    const rows = dims.includes(p.rows as string) ? (p.rows as string) : def.rows;
    const cols = dims.includes(p.cols as string) && p.cols !== rows ? (p.cols as string) : def.cols;
    return cacheSlice(run, {
      hook,
      rows: rows === cols ? def.rows : rows,
      cols,
      fixed: parseFixed(p.fixed as string),
    });
  },
};
