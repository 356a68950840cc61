/**
 * The episode options of the commands that replay a played episode (`window`, `policy-field`): a
 * checkpoint's play session reset with `--seed` and stepped through `--actions` at initial RTG `--rtg`,
 * as the app replays a link. An action that cannot be played is a one-line BAD_INPUT.
 */
import type { Checkpoint } from '../../io/checkpoint.ts';
import { check } from '../../errors.ts';
import type { WeightVariant } from '../../model/processing.ts';
import { openSession } from '../../session/openSession.ts';
import type { PlaySession } from '../../session/playSession.ts';
import { replayEpisode } from '../../session/replay.ts';
import { nodeGemm } from '../gemm.ts';
import { parseCount, parseCountList, parseNumber } from './options.ts';

export interface EpisodeCliOptions {
  seed: string;
  actions: string;
  rtg: string;
}

/** The session of `ckpt` replayed to the end of the episode the options name, with the parsed seed and actions. */
export function replayedSession(
  ckpt: Checkpoint,
  opts: EpisodeCliOptions,
  weights: WeightVariant,
): { session: PlaySession; seed: number; actions: number[] } {
  const seed = parseCount(opts.seed, '--seed');
  const actions = opts.actions.trim() === '' ? [] : parseCountList(opts.actions, '--actions');
  const rtg = parseNumber(opts.rtg, '--rtg');
  const session = openSession(ckpt, { gemm: nodeGemm('auto'), weights, initialRtg: rtg });
  const played = replayEpisode(session, seed, actions);
  check(
    played === actions.length,
    'BAD_INPUT',
    () =>
      `--actions: action ${actions[played]} (number ${played + 1}) cannot be played: ` +
      (session.episodeEnd
        ? `the episode ended after ${played} step(s)`
        : `the env has actions 0..${session.env.nActions - 1}`),
  );
  return { session, seed, actions };
}
