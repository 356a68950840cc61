/**
 * The DT token layout. DTI's token labels: position p of the `[R1, S1, A1, ..., R_T, S_T]` sequence is `R|S|A` + timestep
 * (1-based), e.g. `R1 S1 A1 ... R9 S9` for n_ctx = 26.
 */
export type TokenKind = 'R' | 'S' | 'A';

const KINDS: readonly TokenKind[] = ['R', 'S', 'A'];

/** Kind of the token at position p. */
export const tokenKind = (p: number): TokenKind => KINDS[p % 3];

/** Labels of the first `nTokens` positions. */
export function tokenLabels(nTokens: number): string[] {
  return Array.from({ length: nTokens }, (_, p) => `${tokenKind(p)}${Math.floor(p / 3) + 1}`);
}

/**
 * Token positions of a window of T timesteps with Ta action tokens (T − 1 usual, T legacy, 0 = none:
 * DTI's 2-token [R1, S1] window).
 */
export const tokenCount = (T: number, Ta: number): number =>
  Ta === 0 ? 2 : Ta === T - 1 ? 3 * T - 1 : 3 * T;

/** Position of the last S token among `nTokens` (the token the next action is read from). */
export function lastStatePosition(nTokens: number): number {
  let p = nTokens - 1;
  while (p > 0 && tokenKind(p) !== 'S') p--;
  return p;
}

/**
 * Timesteps in a window of `nCtx` tokens: `1 + floor(nCtx / 3)` for DTI's [R, S, A, ..., R, S]
 * layout (DTI `get_max_len_from_model_type`), `nCtx / 3` for legacy [R, S, A] windows (nCtx = 3).
 */
export const maxLenOf = (nCtx: number): number => (nCtx % 3 === 0 ? nCtx / 3 : 1 + Math.floor(nCtx / 3));
