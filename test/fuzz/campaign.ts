/**
 * A seeded fuzz campaign: `cases` mutations spread round-robin over the bases, each loaded and classified
 * (see run.ts). A case fails when it ends in an untyped error, exceeds the time bound, or loads changed
 * data from a format whose checksums should have caught the mutation.
 */
import type { Base } from './bases.ts';
import { makeRng, mutate } from './mutate.ts';
import { loadTarget, runCase, type CaseResult } from './run.ts';

export interface CampaignCase extends CaseResult {
  index: number;
  base: string;
  /** Why this case breaks the promise, or undefined. */
  failure?: string;
}

export interface CampaignOptions {
  cases: number;
  seed: number;
  /** Per-case wall-time bound (ms). */
  maxMs: number;
}

export async function* fuzzCampaign(
  bases: readonly Base[],
  opts: CampaignOptions,
): AsyncGenerator<CampaignCase> {
  const baselines = await Promise.all(bases.map((b) => loadTarget(b.target, b.bytes)));
  const rng = makeRng(opts.seed);
  for (let index = 0; index < opts.cases; index++) {
    const k = index % bases.length;
    const base = bases[k];
    const mutation = mutate(base.bytes, rng);
    const r = await runCase(base.target, mutation.bytes, baselines[k]);
    let failure: string | undefined;
    if (r.outcome === 'untyped-error') failure = `untyped error ${r.detail}`;
    else if (r.outcome === 'changed' && base.checksummed && !mutation.insideChecksum)
      failure = 'a checksummed file loaded changed data';
    else if (r.ms > opts.maxMs) failure = `took ${r.ms.toFixed(0)} ms`;
    yield { ...r, index, base: base.name, failure };
  }
}

/** Counts of a finished campaign. */
export interface CampaignSummary {
  cases: number;
  typedErrors: number;
  identical: number;
  changed: number;
  failures: CampaignCase[];
  byCode: Record<string, number>;
  maxMs: number;
}

export async function summarise(cases: AsyncIterable<CampaignCase>): Promise<CampaignSummary> {
  const s: CampaignSummary = {
    cases: 0,
    typedErrors: 0,
    identical: 0,
    changed: 0,
    failures: [],
    byCode: {},
    maxMs: 0,
  };
  for await (const c of cases) {
    s.cases++;
    s.maxMs = Math.max(s.maxMs, c.ms);
    if (c.outcome === 'typed-error') {
      s.typedErrors++;
      s.byCode[c.detail!] = (s.byCode[c.detail!] ?? 0) + 1;
    } else if (c.outcome === 'identical') s.identical++;
    else if (c.outcome === 'changed') s.changed++;
    if (c.failure) s.failures.push(c);
  }
  return s;
}
