/**
 * Features panels (issue 16): the probe sweep as a job. Episodes are collected in the worker by the
 * scripted expert of the model's environment (`ctx.episode.env`, `train/collect.ts`), replayed for
 * environment labels, and every label is probed at the chosen hook points (`analysis/features/probe.ts`).
 */
import { collectDemonstrations } from '../../train/collect.ts';
import { type PositionKind, POSITION_KINDS, selectHooks } from '../../analysis/features/activations.ts';
import { PROBE_METHODS, type ProbeMethod, probeSweep } from '../../analysis/features/probe.ts';
import { type ProbeSet, buildProbeSet } from '../../analysis/features/probeSet.ts';
import type { EnvConfig } from '../../config/config.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { JobPanel } from './types.ts';

/**
 * Episodes of the scripted expert of `env` (20% random actions, half of Memory episodes to the wrong
 * object), replayed for environment labels, as a probe set checked against `model`.
 */
export function expertProbeSet(model: DecisionTransformer, env: EnvConfig, episodes: number): ProbeSet {
  const dataset = collectDemonstrations({
    env,
    episodes,
    policy: 'expert',
    epsilon: 0.2,
    wrongFraction: /Memory/.test(env.envId) ? 0.5 : 0,
    randomFraction: 0,
    seed: 1,
  });
  const labels = /Memory/.test(env.envId)
    ? undefined
    : ['key', 'ball', 'door', 'agent_x', 'agent_y', 'agent_dir', 'action+0', 'action+2', 'success', 'rtg'];
  return buildProbeSet(dataset, { maxLen: model.maxLen, labels, fits: { model, envId: env.envId } });
}

export const probeSweepPanel: JobPanel = {
  id: 'probe-sweep',
  title: 'Probes (environment labels)',
  group: 'dataset',
  scope: 'job',
  help:
    'Linear probes of the residual stream (or every vector hook point) for facts read from the environment: ' +
    'instruction object, key/ball/door in view or remembered, agent position and direction, the action taken ' +
    'now and 2 steps ahead, eventual success, RTG bucket. Episodes of the scripted expert (20% random actions, ' +
    "half of Memory episodes to the wrong object) are collected in the model's env; each window is read at its " +
    'last S, R or A token; linear probes (closed-form LDA, or logistic regression started from it) are ' +
    'scored on held-out episodes against the train-majority answer, with shuffled-label, sparse and ' +
    'random-direction controls fitted the same way. Uses the active weights variant.',
  params: {
    episodes: { kind: 'int', default: 100, min: 4, max: 2000 },
    hooks: { kind: 'choice', default: 'residual', choices: ['residual', 'all'] },
    token: { kind: 'choice', default: 'S', choices: [...POSITION_KINDS] },
    method: { kind: 'choice', default: 'lda', choices: PROBE_METHODS, label: 'probe' },
  },
  run: async (ctx, p, control) => {
    const set = expertProbeSet(ctx.model, ctx.episode.env, p.episodes as number);
    const hooks = selectHooks(ctx.model, p.hooks as string);
    const { directions: _, ...result } = await probeSweep(
      ctx.model,
      set,
      hooks,
      p.token as PositionKind,
      { method: p.method as ProbeMethod },
      control,
    );
    return result;
  },
};
