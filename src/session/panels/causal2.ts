/**
 * Causal panels of issues 14 and 16 (jobs on a corruption of the current window, the shared corruption
 * settings): path patching (any sender set -> receiver set, DTI's `1 − m`), attribution patching against
 * real activation patching, and automatic circuit discovery (EAP or ACDC) with its faithfulness.
 */
import {
  type AttributionComparison,
  attributionPatching,
  compareWithPatching,
} from '../../analysis/causal/attributionPatching.ts';
import {
  CIRCUIT_METHODS,
  type CircuitMethod,
  type CircuitResult,
  DEFAULT_CIRCUIT_THRESHOLD,
  discoverCircuit,
} from '../../analysis/causal/circuit/discover.ts';
import { parseReceivers, parseSenders } from '../../analysis/causal/pathNodes.ts';
import { type PathGrid, pathPatchGrid } from '../../analysis/causal/pathViews.ts';
import type { PatchMode, PatchSweepKind } from '../../analysis/causal/patching.ts';
import { CORRUPTION_PARAMS, METRIC_PARAMS, SWEEP_PARAMS, metricOf, pairOf } from './causal.ts';
import type { JobPanel } from './types.ts';

export const pathPatchingPanel: JobPanel = {
  id: 'path-patching',
  title: 'Path patching',
  group: 'causal',
  scope: 'job',
  help:
    'Path patching (DTI `path_patch`, two passes): run the clean window with every head’s z frozen and the ' +
    'sender taken from the corrupted run, keep the receivers, then rerun clean with the receivers patched. ' +
    'Senders: blocks (resid_pre/attn_out/mlp_out × position), heads, heads@each, mlps, embeds, or nodes like ' +
    'L0H1, L0H1@25, mlp0, embed:S, time (the time embedding); receivers: final, L1H2.q|k|v|pattern, L1.q, mlp1, mlp1.in. Shows 1 − m as ' +
    'DTI plots it (0 = no effect, 1 = the whole corruption through that path); receivers before a sender are ' +
    'skipped. The metric is any of activation patching’s (default the logit difference). Uses the active ' +
    'weights variant.',
  params: {
    ...CORRUPTION_PARAMS,
    senders: { kind: 'text', default: 'heads', pattern: /^[\w@:.,]+$/, label: 'senders' },
    receivers: { kind: 'text', default: 'final', pattern: /^[\w@:.,]+$/, label: 'receivers' },
    ...METRIC_PARAMS,
  },
  async run(ctx, p, control): Promise<PathGrid> {
    const pair = pairOf(ctx.model, ctx.inputs, p);
    const P = pair.cleanTokens.shape[1];
    return pathPatchGrid(
      ctx.model,
      pair,
      parseSenders(p.senders as string, ctx.model.arch, P),
      parseReceivers(p.receivers as string, ctx.model.arch),
      { ...control, metric: metricOf(p) },
    );
  },
};

export const attributionPatchingPanel: JobPanel = {
  id: 'attribution-patching',
  title: 'Attribution patching',
  group: 'causal',
  scope: 'job',
  help:
    'Attribution patching: the first-order estimate of an activation-patching sweep, Σ (a_source − a_run) · ' +
    '∂M/∂a from one backward pass, against the real sweep (one batched run): scatter of both scores per cell, ' +
    'Pearson correlation and the worst cells. Any metric of activation patching (logit difference, action ' +
    'probability, KL to the clean distribution, DTI’s neuron metric, RTG). Exact when the model is linear ' +
    'between the patch and the metric; poor where attention, the MLP or the softmax saturates; KL in noise ' +
    'mode estimates 0 everywhere (its gradient vanishes at the clean run). Uses the active weights variant.',
  params: SWEEP_PARAMS,
  async run(ctx, p, control): Promise<AttributionComparison> {
    const pair = pairOf(ctx.model, ctx.inputs, p);
    const metric = metricOf(p);
    const estimates = attributionPatching(
      ctx.model,
      pair,
      p.mode as PatchMode,
      [{ kind: p.sweep as PatchSweepKind, layer: p.layer as number }],
      metric,
    );
    const [cmp] = await compareWithPatching(ctx.model, pair, estimates, metric, control);
    return cmp;
  },
};

export const circuitDiscoveryPanel: JobPanel = {
  id: 'circuit-discovery',
  title: 'Circuit discovery',
  group: 'causal',
  scope: 'job',
  help:
    'Automatic circuit discovery on the computational graph (R/S/A token and position embeddings, every head ' +
    'with its q/k/v inputs, every MLP, the action output; edges per token position): edge attribution patching ' +
    '(EAP, one backward pass scores every edge) or ACDC-style pruning by real edge patching, for a patching ' +
    'metric (logit difference, action probability, KL, a neuron, RTG) of the current window against its ' +
    'corruption (EAP of KL is 0 everywhere: its gradient vanishes at the clean run; use ACDC). Shows the circuit over token positions, its ' +
    'faithfulness (m_circuit − m_corrupted) / (m_clean − m_corrupted) with every other edge patched, and the ' +
    'share of edges confirmed by real patching. top 0 = no limit. Uses the active weights variant.',
  params: {
    ...CORRUPTION_PARAMS,
    method: { kind: 'choice', default: 'eap', choices: CIRCUIT_METHODS },
    threshold: { kind: 'number', default: DEFAULT_CIRCUIT_THRESHOLD, min: 0, max: 10 },
    top: {
      kind: 'int',
      default: 0,
      min: 0,
      max: 100000,
      label: 'top edges (EAP, 0 = all above the threshold)',
      shownWhen: { method: ['eap'] },
    },
    edges: { kind: 'choice', default: 'per position', choices: ['per position', 'all positions'] },
    ...METRIC_PARAMS,
  },
  async run(ctx, p, control): Promise<CircuitResult> {
    return discoverCircuit(ctx.model, pairOf(ctx.model, ctx.inputs, p), {
      ...control,
      method: p.method as CircuitMethod,
      threshold: p.threshold as number,
      top: (p.top as number) > 0 ? (p.top as number) : undefined,
      perPosition: p.edges === 'per position',
      metric: metricOf(p),
    });
  },
};
