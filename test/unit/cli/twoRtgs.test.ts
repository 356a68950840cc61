/** `dtlens two-rtgs` on a golden MemoryGatedMLP window: both sides, their difference, typed errors. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';
import { describeWithShared, sharedPath } from '../../support/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'dtlens-two-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithShared('dtlens two-rtgs', () => {
  const base = ['two-rtgs', '--model', sharedPath('models/MemoryGatedMLP.pt')];
  const input = ['--input', sharedPath('golden/MemoryGatedMLP/traj0_seed0.safetensors'), '--index', '5'];

  it('writes the attributions at both RTGs and their difference', () => {
    const out = join(dir, 'two.json');
    const r = runCli([...base, ...input, '--low', '0', '--high', '1', '--output', out, '--backend', 'ts']);
    expect(r.stderr).toBe('');
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.labels).toHaveLength(2 * 4 + 2 + 3);
    json.difference.forEach((d: number, i: number) => expect(d).toBeCloseTo(json.high[i] - json.low[i], 10));
    expect(json.rtgs).toEqual([0, 1]);
  }, 120_000);

  it('writes attention patterns and the logit lens at both RTGs', () => {
    const out = join(dir, 'att.json');
    const a = runCli([...base, ...input, '--analysis', 'attention', '--output', out, '--backend', 'ts']);
    expect(a.stderr).toBe('');
    const att = JSON.parse(readFileSync(out, 'utf8'));
    expect(att.heads).toHaveLength(2 * 4);
    expect(att.low.shape).toEqual(att.high.shape);
    const l = runCli([...base, ...input, '--analysis', 'logit-lens', '--output', out, '--backend', 'ts']);
    expect(l.stderr).toBe('');
    const lens = JSON.parse(readFileSync(out, 'utf8'));
    lens.difference.forEach((d: number, i: number) => expect(d).toBeCloseTo(lens.high[i] - lens.low[i], 10));
  }, 120_000);

  it('rejects bad values with one line', () => {
    const r = runCli([...base, ...input, '--low', 'x', '--output', join(dir, 'x.json')]);
    expect(r.stderr.trim()).toBe("dtlens: --low must be a number, got 'x'");
  }, 120_000);
});
