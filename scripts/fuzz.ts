/**
 * `npm run fuzz -- [--cases N] [--seed S] [--no-shared] [--attacks]`: a long seeded fuzz campaign over the
 * real checkpoints of ../shared and generated files (the CI suite runs 300 cases), printing the counts
 * of typed errors, identical and changed loads and every failure. `--attacks` also loads each file of
 * the hostile corpus in a fresh process and reports its time and peak memory. Exit code 1 on any failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ATTACKS } from '../test/fuzz/attacks.ts';
import { fuzzBases, type Target } from '../test/fuzz/bases.ts';
import { fuzzCampaign, summarise, type CampaignCase } from '../test/fuzz/campaign.ts';
import { runCase } from '../test/fuzz/run.ts';

const MAX_MS = 5000;

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

/** Child mode: load one file, print `{outcome, detail, ms, rssBeforeMb, peakRssMb}` as JSON. */
async function loadOne(target: Target, path: string): Promise<void> {
  const bytes = new Uint8Array(readFileSync(path));
  const rssBefore = process.memoryUsage().rss;
  const r = await runCase(target, bytes);
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    JSON.stringify({ ...r, rssBeforeMb: rssBefore / 2 ** 20, peakRssMb: peak / 2 ** 20 }) + '\n',
  );
}

function measureAttacks(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'dtlens-fuzz-'));
  let ok = true;
  try {
    console.log('attack class | file | bytes | result | ms | peak RSS growth (MiB)');
    for (const [i, a] of ATTACKS.entries()) {
      const path = join(dir, `attack${i}`);
      const bytes = a.make();
      writeFileSync(path, bytes);
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'scripts/fuzz.ts', '--load', `${a.target}:${path}`],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const line = child.stdout.trim().split('\n').pop() ?? '';
      let r: { outcome: string; detail?: string; ms: number; rssBeforeMb: number; peakRssMb: number };
      try {
        r = JSON.parse(line);
      } catch {
        ok = false;
        console.log(`${a.cls} | ${a.name} | FAILED: ${child.status} ${child.stderr.split('\n')[0]}`);
        continue;
      }
      const pass = r.outcome === 'typed-error' && r.detail === a.code && r.ms < MAX_MS;
      ok &&= pass;
      console.log(
        `${a.cls} | ${a.name} | ${bytes.length} | ${r.detail ?? r.outcome}${pass ? '' : ' FAIL'} | ` +
          `${r.ms.toFixed(0)} | ${Math.max(0, r.peakRssMb - r.rssBeforeMb).toFixed(0)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}

async function campaign(cases: number, seed: number, shared: boolean): Promise<boolean> {
  const bases = fuzzBases(shared);
  console.log(
    `fuzzing ${cases} cases (seed ${seed}) over ${bases.length} bases: ${bases.map((b) => b.name).join(', ')}`,
  );
  const start = performance.now();
  async function* withProgress(it: AsyncIterable<CampaignCase>) {
    for await (const c of it) {
      if ((c.index + 1) % 1000 === 0)
        console.log(`  ${c.index + 1} cases, ${((performance.now() - start) / 1000).toFixed(0)} s`);
      yield c;
    }
  }
  const s = await summarise(withProgress(fuzzCampaign(bases, { cases, seed, maxMs: MAX_MS })));
  console.log(
    `cases ${s.cases}: typed errors ${s.typedErrors}, identical loads ${s.identical}, ` +
      `changed loads ${s.changed} (formats without checksums), failures ${s.failures.length}; ` +
      `slowest case ${s.maxMs.toFixed(0)} ms; total ${((performance.now() - start) / 1000).toFixed(0)} s`,
  );
  console.log(`typed errors by code: ${JSON.stringify(s.byCode)}`);
  for (const f of s.failures.slice(0, 20)) console.log(`  FAILURE ${f.base} #${f.index}: ${f.failure}`);
  return s.failures.length === 0;
}

const program = new Command('fuzz')
  .option('--cases <n>', 'mutation cases', int, 2000)
  .option('--seed <n>', 'seed of the mutations', int, 1)
  .option('--no-shared', 'only generated bases (skip ../shared)')
  .option('--attacks', 'also measure every hostile-corpus file in a fresh process')
  .option('--load <target:file>', '(internal) load one file and print the result as JSON')
  .action(async (o: { cases: number; seed: number; shared: boolean; attacks?: boolean; load?: string }) => {
    if (o.load) {
      const at = o.load.indexOf(':');
      return loadOne(o.load.slice(0, at) as Target, o.load.slice(at + 1));
    }
    let ok = await campaign(o.cases, o.seed, o.shared);
    if (o.attacks) ok = measureAttacks() && ok;
    process.exitCode = ok ? 0 : 1;
  });

await program.parseAsync();
