/**
 * Scans panels: the RTG scan of the current window (a job: 128 batched runs with progress and cancel),
 * the policy field of the current episode (a job on a replayed copy of the env) and the per-window head
 * types (attention mass by query kind and key category).
 */
import { headTypesFromPatterns } from '../../analysis/scans/headTypes.ts';
import { type RtgTokens, rtgScan } from '../../analysis/scans/rtgScan.ts';
import type { ClusterMethod } from '../../analysis/scans/correlation.ts';
import { policyField } from '../../analysis/scans/policyField.ts';
import { STEERING_HOOKS, coefficientScan, pairSteering } from '../../analysis/scans/steering.ts';
import { actName } from '../../model/hooks.ts';
import { CORRUPTION_PARAMS, corrupt } from './causal.ts';
import { DIRECTION_PARAMS, direction } from './dynamic.ts';
import type { JobPanel, WindowPanel } from './types.ts';

export const rtgScanPanel: JobPanel = {
  id: 'rtg-scan',
  title: 'RTG scan',
  group: 'scans',
  scope: 'job',
  help:
    'The current window run with n target returns-to-go (DTI “Scan Reward-to-Go”, fixed: any range, every ' +
    'RTG token or only the current one) as one batched run: the action logits and probabilities vs RTG at ' +
    'the chosen position, the decomposition of the logit difference vs RTG at three levels (layers = ' +
    '`decompose_resid`; components = heads, MLPs, embeddings, bias = `get_full_resid_decomposition`; ' +
    'neurons), without LN scaling as DTI or with it, and the clustergram of the components’ responses ' +
    '(average linkage on 1 − correlation, or DTI’s single linkage); optionally timestep noise (each row’s ' +
    'timesteps shifted by a seeded offset in ±k, which DTI computed but ignored) and the attention of the ' +
    'chosen position to every key vs RTG for every head, plain or weighted by the key’s value norm (DTI ' +
    '“Attention Patterns By RTG”, any query). Uses the active weights variant.',
  params: {
    min: { kind: 'number', default: 0, min: -10, max: 10 },
    max: { kind: 'number', default: 1, min: -10, max: 10 },
    n: { kind: 'int', default: 128, min: 2, max: 4096 },
    tokens: { kind: 'choice', default: 'all', choices: ['all', 'current'] },
    noise: { kind: 'int', default: 0, min: 0, max: 1000, label: 'timestep noise (±k)' },
    seed: { kind: 'int', default: 0, min: 0, max: 1_000_000, label: 'noise seed' },
    attention: { kind: 'choice', default: 'off', choices: ['off', 'pattern', 'value-weighted'] },
    ln: { kind: 'choice', default: 'none', choices: ['none', 'apply'] },
    cluster: { kind: 'choice', default: 'average', choices: ['average', 'dti'] },
    level: { kind: 'choice', default: 'components', choices: ['layers', 'components', 'neurons'] },
    ...DIRECTION_PARAMS,
  },
  run: (ctx, p, control) =>
    rtgScan(
      ctx.model,
      ctx.inputs,
      {
        min: p.min as number,
        max: p.max as number,
        n: p.n as number,
        tokens: p.tokens as RtgTokens,
        timestepNoise: p.noise as number,
        seed: p.seed as number,
        ...(p.attention !== 'off' && { attention: { query: ctx.position, weighting: 'key' as const } }),
        applyLn: p.ln === 'apply',
        cluster: p.cluster as ClusterMethod,
        position: ctx.position,
        direction: direction(p),
      },
      control,
    ),
};

export const steeringPanel: JobPanel = {
  id: 'steering',
  title: 'Steering (AVEC) coefficient scan',
  group: 'scans',
  scope: 'job',
  help:
    'DTI’s Algebraic Value Editing: the steering vector is corrupted − clean at `blocks.{layer}.hook_{hook}` ' +
    '(the corruption of the current window chosen as in the causal panels), added to the current window ' +
    'at every position with n coefficients in one batched run: the action logits and probabilities vs the ' +
    'coefficient, the decomposition of the logit difference at three levels and the clustergram of the ' +
    'components’ responses (as the RTG scan). Coefficient 1 at resid_pre reproduces the corrupted residual ' +
    'there. Uses the active weights variant.',
  params: {
    ...CORRUPTION_PARAMS,
    layer: { kind: 'int', default: 0, min: 0, max: 63 },
    hook: { kind: 'choice', default: 'resid_pre', choices: STEERING_HOOKS },
    min: { kind: 'number', default: -1, min: -100, max: 100, label: 'coefficient min' },
    max: { kind: 'number', default: 2, min: -100, max: 100, label: 'coefficient max' },
    n: { kind: 'int', default: 128, min: 2, max: 4096 },
    ln: { kind: 'choice', default: 'none', choices: ['none', 'apply'] },
    cluster: { kind: 'choice', default: 'average', choices: ['average', 'dti'] },
    level: { kind: 'choice', default: 'components', choices: ['layers', 'components', 'neurons'] },
    ...DIRECTION_PARAMS,
  },
  run(ctx, p, control) {
    const { corrupted } = corrupt(ctx.model, ctx.inputs, p);
    const hook = actName(p.hook as string, p.layer as number);
    const steering = pairSteering(ctx.model, ctx.inputs, corrupted, hook);
    return coefficientScan(
      ctx.model,
      ctx.inputs,
      steering,
      {
        min: p.min as number,
        max: p.max as number,
        n: p.n as number,
        applyLn: p.ln === 'apply',
        cluster: p.cluster as ClusterMethod,
        position: ctx.position,
        direction: direction(p),
      },
      control,
    );
  },
};

export const policyFieldPanel: JobPanel = {
  id: 'policy-field',
  title: 'Policy field',
  group: 'scans',
  scope: 'job',
  help:
    'The action distribution at the last S token with the agent placed on every cell it can stand on, facing ' +
    'each direction (the window’s last observation replaced by the observation from that pose; history and RTG ' +
    'unchanged), as one batched run on a replayed copy of the env; arrows sized and coloured by the ' +
    'probability of one action (-1: the model’s choice at the agent’s pose). With a second RTG (every RTG ' +
    'token set to it), its field and the difference. Beyond DTI. Uses the active weights variant.',
  params: {
    rtg2: { kind: 'text', default: '', pattern: /^(-?\d+(\.\d+)?)?$/, label: 'second RTG (empty: none)' },
    action: { kind: 'int', default: -1, min: -1, max: 9 },
    view: { kind: 'choice', default: 'first', choices: ['first', 'second', 'difference'] },
  },
  run: (ctx, p, control) =>
    policyField(
      ctx.model,
      ctx.episode.replay(),
      ctx.inputs,
      { secondRtg: p.rtg2 === '' ? undefined : Number(p.rtg2) },
      control,
    ),
};

export const headTypesPanel: WindowPanel = {
  id: 'head-types',
  title: 'Head types (this window)',
  group: 'dynamic',
  scope: 'window',
  help:
    'For every head, the attention mass (`hook_pattern`) that R, S and A queries of this window put on RTG ' +
    'tokens, RTG tokens with value > 0, state tokens, action tokens, the previous token, the same timestep ' +
    'and the first token, and the head’s type: the category with the most mass at or above the threshold ' +
    '(else mixed). `dtlens analyze head-types` gives the same over a dataset of windows. Active weights.',
  params: { threshold: { kind: 'number', default: 0.5, min: 0.05, max: 1 } },
  needs: () => (name) => name.endsWith('attn.hook_pattern'),
  compute: (run, p) => {
    const { nLayers: L, nHeads: H } = run.model.arch;
    const [B, T] = run.inputs.states.shape;
    const P = run.tokenLabels.length;
    const patterns = Array.from({ length: L }, (_, l) => run.cache.get(`blocks.${l}.attn.hook_pattern`).data);
    return headTypesFromPatterns(patterns, { B, H, P, T }, run.inputs.rtgs, {
      threshold: p.threshold as number,
    });
  },
};
