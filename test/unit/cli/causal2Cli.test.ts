/**
 * Bad input to the issue-14 commands fails with one typed line and exit code 1, before any work: an
 * empty coefficient range, a steering vector of the wrong width, a malformed hypothesis file, an unknown
 * sender, no steering source, an unknown attribution metric or a neuron metric without its neuron.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('attribution-patch --metric', () => {
    const pair = join(dir, 'pair.safetensors');
    const made = runCli([
      'corrupt',
      '--env',
      'MiniGrid-MemoryS7FixedStart-v0',
      '--one-hot',
      '--seeds',
      '1,0',
      '--actions',
      '2,2',
      '--output',
      pair,
    ]);
    expect(made.status, made.stderr).toBe(0);
    const args = ['attribution-patch', '--model', model, '--input', pair, '--sweeps', 'mlp_neurons:0'];
    const out = join(dir, 'attr.json');
    fails(
      [...args, '--metric', 'neuron', '--output', out],
      /--metric neuron needs --neuron L<layer>N<index>, got ''/,
    );
    fails([...args, '--metric', 'loss', '--output', out], /--metric/);
    const r = runCli([...args, '--metric', 'kl', '--no-compare', '--output', out]);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      metric: unknown;
      sweeps: { metric: string; attribution: number[] }[];
    };
    expect(json.metric).toEqual({ kind: 'kl' });
    expect(json.sweeps[0].metric).toBe('KL(clean ‖ run)');
    // noise mode expands KL at the clean run, where its gradient vanishes
    expect(json.sweeps[0].attribution.every((v) => v === 0)).toBe(true);
  }, 120_000);
});
