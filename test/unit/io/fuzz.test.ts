/**
 * The fuzz suite in CI: every attack of the generated hostile corpus is refused with its typed error
 * within the time bound, and a seeded campaign of mutations of real and generated files ends every case
 * in a typed error or a valid load. `npm run fuzz -- --cases N` runs longer campaigns.
 */
import { describe, expect, it } from 'vitest';
import { ATTACKS } from '../../fuzz/attacks.ts';
import { fuzzBases } from '../../fuzz/bases.ts';
import { fuzzCampaign, summarise } from '../../fuzz/campaign.ts';
import { runCase } from '../../fuzz/run.ts';

/** Per-case bounds: wall time, and growth of the process's resident memory. */
const MAX_MS = 5000;
const MAX_RSS_GROWTH = 768 * 2 ** 20;

describe('hostile corpus', () => {
  for (const attack of ATTACKS)
    it(`${attack.cls}: ${attack.name} -> ${attack.code}`, async () => {
      const bytes = attack.make();
      const rssBefore = process.memoryUsage().rss;
      const r = await runCase(attack.target, bytes);
      expect(r.outcome).toBe('typed-error');
      expect(r.detail).toBe(attack.code);
      expect(r.ms).toBeLessThan(MAX_MS);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(MAX_RSS_GROWTH);
    });
});

describe('seeded mutation campaign', () => {
  it('ends 300 mutations of every base in a typed error or a valid load, each within the bounds', async () => {
    const bases = fuzzBases();
    const rssBefore = process.memoryUsage().rss;
    const s = await summarise(fuzzCampaign(bases, { cases: 300, seed: 2026, maxMs: MAX_MS }));
    expect(s.failures.map((f) => `${f.base} #${f.index}: ${f.failure}`)).toEqual([]);
    expect(s.cases).toBe(300);
    expect(s.typedErrors + s.identical + s.changed).toBe(300);
    // Mutations are mostly refused; some leave the file intact (e.g. bytes no reader uses).
    expect(s.typedErrors).toBeGreaterThan(150);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(MAX_RSS_GROWTH);
  }, 120_000);
});
