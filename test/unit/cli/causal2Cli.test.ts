/**
 * Bad input to the issue-14 commands fails with one typed line and exit code 1, before any work: an
 * empty coefficient range, a steering vector of the wrong width, a malformed hypothesis file, an unknown
 * sender, and no steering source.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';

const model = fileURLToPath(
  new URL('../../../models/MiniGrid-MemoryS7FixedStart-v0.safetensors', import.meta.url),
);
const dir = mkdtempSync(join(tmpdir(), 'dtlens-causal2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fails(args: string[], message: RegExp): void {
  const r = runCli(args);
  expect(r.status, r.stdout).toBe(1);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

describe('causal analysis II commands: typed one-line errors', () => {
  it('rollouts, scrub', () => {
    const vector = join(dir, 'v.json');
    writeFileSync(vector, JSON.stringify({ hook: 'blocks.0.hook_resid_pre', vector: [1, 2, 3] }));
    const out = join(dir, 'o.json');
    fails(
      [
        'rollouts',
        '--model',
        model,
        '--steer-vector',
        vector,
        '--coeff-min',
        '2',
        '--coeff-max',
        '1',
        '--output',
        out,
      ],
      /coefficient range 2\.\.1 is empty/,
    );
    fails(
      ['rollouts', '--model', model, '--steer-vector', vector, '--coefficients', '1', '--output', out],
      /steering vector has 3 values; blocks\.0\.hook_resid_pre needs 128/,
    );
    fails(
      ['rollouts', '--model', model, '--coefficients', '1', '--output', out],
      /exactly one of --intervention/,
    );
    const hyp = join(dir, 'h.json');
    writeFileSync(hyp, '{"name": "x", "nodes": [{"node": "L0H1", "dependsOn": "colour"}]}');
    fails(
      ['scrub', '--model', model, '--hypothesis', hyp, '--output', out],
      /node "L0H1" depends on "colour"/,
    );
  }, 120_000);
});
