/** Shared types of the scripted experts. */
import type { EnvSnapshot } from '../snapshot.ts';

/** Any random source with numpy's `Generator` shape: `random()` in [0,1), `integers(lo, hi)` in [lo, hi). */
export interface ExpertRng {
  random(): number;
  integers(lo: number, hi: number): number;
}

/** A scripted policy: the action to take in the state a snapshot shows. Pure apart from `rng` draws. */
export type ExpertPolicy = (snapshot: EnvSnapshot, rng: ExpertRng) => number;
