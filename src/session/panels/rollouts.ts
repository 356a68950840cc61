/**
 * The closed-loop rollouts panel (job): the model plays N seeds of the session's env at the play area's
 * initial RTG under each condition, side by side (`closedLoopRollouts`): none, then a steering vector
 * (the play steering's vector settings) at each coefficient with its controls (a random vector of equal
 * norm, the sign-flipped vector), or an ablation (heads, MLPs, neurons), or intervention rows given as
 * JSON reading the current window and its corruption (`clean`, `corrupted`: patching in closed loop).
 */
import { ablationInterventions, parseComponents } from '../../analysis/causal/ablation.ts';
import type { SourceCaches } from '../../analysis/causal/apply.ts';
import {
  type ClosedLoopCondition,
  type ClosedLoopOptions,
  type ClosedLoopResult,
  closedLoopRollouts,
} from '../../analysis/causal/closedLoop.ts';
import type { JobControl } from '../../analysis/jobs.ts';
import { interventionsFromJson } from '../../analysis/causal/intervention.ts';
import { patchPair } from '../../analysis/causal/patching.ts';
import { steeringConditions } from '../../analysis/causal/steeringVectors.ts';
import { check } from '../../errors.ts';
import { type ParamValues, numberList, shownWhenAll } from '../params.ts';
import { STEERING_VECTOR_PARAMS, playSteeringVector } from '../playSteering.ts';
import { CORRUPTION_PARAMS, corrupt } from './causal.ts';
import type { JobContext, JobPanel } from './types.ts';

export const CONDITION_KINDS = ['steering', 'ablation', 'interventions'] as const;

/** What the panel returns: the rollouts, and what the conditions apply. */
export interface RolloutsPanelResult {
  result: ClosedLoopResult;
  /** One line: the vector (with its norm), the ablation or the intervention rows. */
  description: string;
}

/**
 * The closed-loop options of a panel's run: `p.episodes` seeds from `p.seed` at the play area's initial
 * RTG in the session's env, one condition per chunk (progress and cancel between conditions).
 */
export function panelClosedLoop(
  ctx: JobContext,
  p: ParamValues,
  control: JobControl,
  maxEpisodeSteps: number,
): Omit<ClosedLoopOptions, 'sources'> {
  return {
    ...control,
    chunkRows: p.episodes as number,
    env: ctx.episode.env,
    episodes: p.episodes as number,
    seed: p.seed as number,
    targetRtg: ctx.episode.initialRtg,
    maxEpisodeSteps,
  };
}

/** The conditions (after `none`) and the caches they read. */
function conditionsOf(
  ctx: JobContext,
  p: ParamValues,
): { conditions: ClosedLoopCondition[]; sources: SourceCaches; description: string } {
  const { model, inputs } = ctx;
  const P = 3 * model.maxLen - 1;
  if (p.conditions === 'steering') {
    const v = playSteeringVector(model, inputs, P, p);
    const exp = steeringConditions(model, v.vector, numberList(p.coefficients as string, 'coefficient'), {
      controls: p.controls === 'yes',
      seed: 1,
    });
    check(
      exp.norm > 0,
      'BAD_INPUT',
      `the steering vector is zero (${v.description}): the corruption changes nothing in this window; choose another`,
    );
    return { ...exp, description: `${v.description}, norm ${exp.norm.toPrecision(4)}` };
  }
  if (p.conditions === 'ablation') {
    const row = ablationInterventions(
      {
        heads: parseComponents(p.heads as string, 'H'),
        mlps: (p.mlps as string).split(',').filter(Boolean).map(Number),
        neurons: parseComponents(p.neurons as string, 'N'),
        method: p.method as 'zero' | 'mean',
      },
      false,
    );
    return {
      conditions: [
        { label: 'none', row: [] },
        { label: `${p.method} ablation`, row },
      ],
      sources: {},
      description: `${p.method} ablation of ${[p.heads, p.mlps && `MLP ${p.mlps}`, p.neurons].filter(Boolean).join(', ')}`,
    };
  }
  const corrupted = corrupt(model, inputs, p);
  const pair = patchPair(model, inputs, corrupted.corrupted);
  const rows = interventionsFromJson(p.json as string, model.arch, P);
  return {
    conditions: [{ label: 'none', row: [] }, ...rows.map((row, i) => ({ label: `row ${i}`, row }))],
    sources: { clean: pair.clean.cache!, corrupted: pair.corrupted.cache! },
    description: `${rows.length} intervention row(s); corrupted = ${corrupted.changes.join('; ') || 'no change'}`,
  };
}

export const closedLoopPanel: JobPanel = {
  id: 'closed-loop',
  title: 'Closed-loop rollouts',
  group: 'causal',
  scope: 'job',
  help:
    'Closed-loop interventions: the model plays N seeds of this env at the play area’s initial RTG with an ' +
    'intervention applied at every step’s forward pass, all conditions side by side (episode i of every ' +
    'condition resets with seed + i). Conditions: none, then a steering vector (the current window’s ' +
    'corrupted − clean at a hook, DTI’s AVEC, or a saved direction) at each coefficient with the controls ' +
    '(a seeded random vector of equal norm, the sign-flipped vector); or an ablation of heads (hook_z), MLPs ' +
    '(hook_mlp_out) and neurons; or intervention rows as JSON ({hook, op, where}; sources clean and ' +
    'corrupted = the current window and its corruption). Shows success rate and goal choice (the object ' +
    'the agent ended at) with Wilson 95% intervals, and the mean return. Uses the active weights variant.',
  params: {
    conditions: { kind: 'choice', default: 'steering', choices: CONDITION_KINDS },
    episodes: { kind: 'int', default: 20, min: 1, max: 1000 },
    seed: { kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, label: 'first episode seed' },
    maxSteps: { kind: 'int', default: 100, min: 1, max: 10000, label: 'step cap' },
    ...shownWhenAll({ source: STEERING_VECTOR_PARAMS.source }, { conditions: ['steering'] }),
    // The corruption makes the window's steering vector and the intervention rows' `corrupted` source.
    ...shownWhenAll(CORRUPTION_PARAMS, [
      { conditions: ['steering'], source: ['window'] },
      { conditions: ['interventions'] },
    ]),
    ...shownWhenAll(
      {
        direction: STEERING_VECTOR_PARAMS.direction,
        hook: STEERING_VECTOR_PARAMS.hook,
        layer: STEERING_VECTOR_PARAMS.layer,
        coefficients: { kind: 'text', default: '1,2,4', pattern: /^[-\d.e, ]+$/, label: 'coefficients' },
        controls: {
          kind: 'choice',
          default: 'yes',
          choices: ['yes', 'no'],
          label: 'random / flipped controls',
        },
      },
      { conditions: ['steering'] },
    ),
    ...shownWhenAll(
      {
        heads: { kind: 'text', default: 'L0H1', pattern: /^(L\d+H\d+(,L\d+H\d+)*)?$/, label: 'ablate heads' },
        mlps: { kind: 'text', default: '', pattern: /^(\d+(,\d+)*)?$/, label: 'ablate MLP layers' },
        neurons: { kind: 'text', default: '', pattern: /^(L\d+N\d+(,L\d+N\d+)*)?$/, label: 'ablate neurons' },
        method: { kind: 'choice', default: 'zero', choices: ['zero', 'mean'], label: 'ablation' },
      },
      { conditions: ['ablation'] },
    ),
    json: {
      kind: 'text',
      default: '',
      maxLength: 8000,
      label: 'intervention rows (JSON)',
      shownWhen: { conditions: ['interventions'] },
    },
  },
  async run(ctx, p, control): Promise<RolloutsPanelResult> {
    const { conditions, sources, description } = conditionsOf(ctx, p);
    const result = await closedLoopRollouts(ctx.model, conditions, {
      ...panelClosedLoop(ctx, p, control, p.maxSteps as number),
      sources,
    });
    return { result, description };
  },
};
