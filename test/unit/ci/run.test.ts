/**
 * `.ci/run` refuses to run without the reference data (the parity suites would skip and CI would pass),
 * looking where the tests look: $DTLENS_SHARED, default ../shared. It fails before installing anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = resolve('.ci/run');
const dir = mkdtempSync(join(tmpdir(), 'dtlens-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (shared: string) =>
  spawnSync('bash', [script], { env: { ...process.env, DTLENS_SHARED: shared }, encoding: 'utf8' });

describe('.ci/run', () => {
  it('fails with a clear message when the shared folder is absent', () => {
    const r = run(join(dir, 'missing'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `ci: reference data not found at ${join(dir, 'missing')} (needs golden/ and models/; set DTLENS_SHARED): failing\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('fails when the folder has golden/ but no models/', () => {
    mkdirSync(join(dir, 'partial', 'golden'), { recursive: true });
    const r = run(join(dir, 'partial'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/reference data not found at .*partial/);
  });
});
