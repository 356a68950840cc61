/**
 * Closed-loop interventions: the model plays N seeds with an intervention row (patch from a fixed
 * cache, ablation, steering: any `InterventionRow` of the causal layer) applied at every step, for
 * several conditions side by side: one batch of conditions × episodes through `playEpisodes`
 * (`src/train/rollout.ts`), chunked by conditions with progress and cancel. Episode i of every
 * condition uses env seed `seed + i`, so conditions are compared on the same layouts.
 *
 * Per condition: success rate (Wilson 95%), mean return (normal 95%), mean length and the goal choice:
 * in Memory envs the object the agent ended next to (`matching` = the instruction's, `other`, or
 * `none` when it never reached either), each share with its Wilson interval.
 */
import { check } from '../../errors.ts';
import { MemoryEnv } from '../../env/envs/memory.ts';
import type { EnvConfig } from '../../config/config.ts';
import type { DecisionTransformer } from '../../model/decisionTransformer.ts';
import type { Hook } from '../../model/hooks.ts';
import { type EpisodeOutcome, episodeSteps } from '../../train/rollout.ts';
import { type JobControl, forEachChunk, runStepwise } from '../jobs.ts';
import { type SourceCaches, interventionHooks } from './apply.ts';
import { type InterventionRow, validateIntervention } from './intervention.ts';
import { type Interval, meanInterval, wilson } from './stats.ts';

export interface ClosedLoopCondition {
  label: string;
  /** Applied to every step's forward of this condition's episodes (empty = no intervention). */
  row: InterventionRow;
  /**
   * Further hooks of every step's forward that act only on the given batch rows (this condition's
   * episodes in the batch), e.g. an input-dependent feature edit no intervention row expresses.
   */
  hooks?: (rows: readonly number[]) => readonly Hook[];
}

export interface ClosedLoopOptions extends JobControl {
  env: EnvConfig;
  episodes: number;
  /** Env seed of episode 0 (episode i: seed + i). */
  seed: number;
  targetRtg: number;
  /** Step cap per episode (default: the env's max_steps). */
  maxEpisodeSteps?: number;
  /** Caches the interventions read (e.g. a fixed corrupted window, a steering vector). */
  sources?: SourceCaches;
}

export type GoalChoice = 'matching' | 'other' | 'none';
export const GOAL_CHOICES: readonly GoalChoice[] = ['matching', 'other', 'none'];

export interface EpisodeRecord {
  seed: number;
  return: number;
  success: boolean;
  length: number;
  choice: GoalChoice;
}

export interface ConditionResult {
  label: string;
  successRate: Interval;
  meanReturn: Interval;
  meanLength: number;
  /** Share of episodes per goal choice */
  choices: Record<GoalChoice, Interval>;
  episodes: EpisodeRecord[];
}

export interface ClosedLoopResult {
  targetRtg: number;
  episodes: number;
  seed: number;
  conditions: ConditionResult[];
}

/** Which object the episode ended at (Memory envs); other envs: matching = success. */
export function goalChoice(e: EpisodeOutcome): GoalChoice {
  const env = e.env.unwrapped;
  if (!(env instanceof MemoryEnv)) return e.success ? 'matching' : 'none';
  const at = (p: readonly number[]) => env.agentPos[0] === p[0] && env.agentPos[1] === p[1];
  return at(env.successPos) ? 'matching' : at(env.failurePos) ? 'other' : 'none';
}

function summarise(label: string, played: EpisodeOutcome[]): ConditionResult {
  const episodes = played.map((e) => ({
    seed: e.seed,
    return: e.return,
    success: e.success,
    length: e.length,
    choice: goalChoice(e),
  }));
  const n = episodes.length;
  const count = (f: (e: EpisodeRecord) => boolean) => episodes.filter(f).length;
  return {
    label,
    successRate: wilson(
      count((e) => e.success),
      n,
    ),
    meanReturn: meanInterval(episodes.map((e) => e.return)),
    meanLength: episodes.reduce((a, e) => a + e.length, 0) / n,
    choices: Object.fromEntries(
      GOAL_CHOICES.map((c) => [
        c,
        wilson(
          count((e) => e.choice === c),
          n,
        ),
      ]),
    ) as Record<GoalChoice, Interval>,
    episodes,
  };
}

/**
 * Plays `episodes` seeds under each condition. Conditions are validated against the model's full
 * window first (BAD_INPUT naming the problem); `chunkRows` bounds the episodes per batch (whole
 * conditions per chunk, at least one).
 */
export async function closedLoopRollouts(
  model: DecisionTransformer,
  conditions: readonly ClosedLoopCondition[],
  o: ClosedLoopOptions,
): Promise<ClosedLoopResult> {
  check(conditions.length > 0, 'BAD_INPUT', 'closed-loop rollouts need at least one condition');
  check(
    Number.isInteger(o.episodes) && o.episodes > 0,
    'BAD_INPUT',
    `episodes must be a positive integer, got ${o.episodes}`,
  );
  const P = 3 * model.maxLen - 1;
  for (const c of conditions) for (const iv of c.row) validateIntervention(iv, model.arch, P);
  const seeds = Array.from({ length: o.episodes }, (_, i) => o.seed + i);
  const perChunk = Math.max(1, Math.floor((o.chunkRows ?? 1024) / o.episodes));
  const results: ConditionResult[] = [];
  await forEachChunk(conditions.length, { ...o, chunkRows: perChunk }, async (from, to) => {
    const chunk = conditions.slice(from, to);
    // Stepwise: cancel is honoured and the app's worker yields after every batched step.
    const steps = episodeSteps(model, {
      env: o.env,
      seeds: chunk.flatMap(() => seeds),
      targetRtg: o.targetRtg,
      maxEpisodeSteps: o.maxEpisodeSteps,
      // Only the last token's action is read; a mean over the window and row hooks need every position.
      lastPositionOnly: !chunk.some(
        (c) => c.hooks || c.row.some((iv) => iv.op.kind === 'mean' && iv.op.over === 'window'),
      ),
      hooks: (episodes) => {
        const of = episodes.map((e) => Math.floor(e / o.episodes));
        return [
          ...interventionHooks(
            of.map((k) => chunk[k].row),
            model.arch,
            P,
            o.sources,
          ),
          ...chunk.flatMap((c, k) => {
            const rows = of.flatMap((kk, b) => (kk === k ? [b] : []));
            return c.hooks && rows.length > 0 ? c.hooks(rows) : [];
          }),
        ];
      },
    });
    const played = await runStepwise(steps, { signal: o.signal, yieldToEvents: o.yieldToEvents });
    chunk.forEach((c, k) =>
      results.push(summarise(c.label, played.slice(k * o.episodes, (k + 1) * o.episodes))),
    );
  });
  return { targetRtg: o.targetRtg, episodes: o.episodes, seed: o.seed, conditions: results };
}
