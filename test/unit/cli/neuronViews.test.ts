/** `dtlens analyze neuron|projection|gated-mlp` on MemoryGatedMLP's golden pairA clean window: exact gate decomposition, figures, one-line errors. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { expectClose, expectDiffer } from '../../support/compare.ts';
import { runCli } from '../../support/cli.ts';
import { describeWithShared, sharedPath } from '../../support/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'dtlens-neuron-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithShared('dtlens analyze neuron views', () => {
  const base = (analysis: string) => [
    'analyze',
    analysis,
    '--model',
    sharedPath('models/MemoryGatedMLP.pt'),
    '--input',
    sharedPath('golden/analysis/MemoryGatedMLP/pairA_raw.safetensors'),
    '--prefix',
    'clean.',
  ];

  it('decomposes L1N88’s gate and linear branch exactly and draws the figure', () => {
    const out = join(dir, 'n.json');
    const svg = join(dir, 'n.svg');
    const r = runCli([
      ...base('neuron'),
      '--neuron',
      'L1N88',
      '--figure',
      'heads',
      '--output',
      out,
      '--svg',
      svg,
    ]);
    expect(r.stderr).toBe('');
    const { result } = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.reads.map((x: { kind: string }) => x.kind)).toEqual(['gate', 'linear']);
    for (const read of result.reads) expectClose([read.components.check.sum], [read.value], 1e-5);
    expectClose([result.gatedPost.rebuilt], [result.post], 1e-5);
    expectDiffer([result.dti.estimate], [result.dti.cache], 0.1);
    expect(readFileSync(svg, 'utf8')).toContain('head contributions to L1N88 gate');
  }, 120_000);

  it('writes the projection and gated-MLP views', () => {
    const p = join(dir, 'p.json');
    expect(runCli([...base('projection'), '--neurons', 'L1N88', '--output', p]).stderr).toBe('');
    expect(JSON.parse(readFileSync(p, 'utf8')).result.components.at(-1)).toBe('L1N88');
    const g = join(dir, 'g.json');
    expect(runCli([...base('gated-mlp'), '--output', g]).stderr).toBe('');
    expect(JSON.parse(readFileSync(g, 'utf8')).result.labels).toHaveLength(512);
  }, 120_000);

  it('rejects a neuron outside the model with one line', () => {
    const r = runCli([...base('neuron'), '--neuron', 'L1N256', '--output', join(dir, 'x.json')]);
    expect(r.stderr.trim()).toBe('dtlens: neuron 256 does not exist (layer 1 has neurons 0..255)');
  }, 120_000);
});
