/**
 * Replaying an episode into a play session: `reset(seed)`, then the actions in order, stopping at the
 * episode end or at the first action the env does not have. The app restores a link this way and
 * `dtlens window` builds its window this way, so both feed the model the same (left-padded) window.
 */
import type { PlaySession } from './playSession.ts';

/**
 * Resets `session` with `seed` and plays `actions`, calling `onStep` after the reset and after each
 * action; returns how many actions were played.
 */
export function replayEpisode(
  session: PlaySession,
  seed: number,
  actions: readonly number[],
  onStep?: () => void,
): number {
  session.reset(seed);
  onStep?.();
  let played = 0;
  for (const a of actions) {
    if (session.episodeEnd || !Number.isInteger(a) || a < 0 || a >= session.env.nActions) break;
    session.step(a);
    onStep?.();
    played++;
  }
  return played;
}
