/**
 * `dtlens static` and the weights-only `dtlens analyze` analyses end to end on MemoryGatedMLP: the file
 * matches the golden static tensors (the check `cli_parity.py static` makes), figures are written, a
 * PCA saved as directions is read back as a vocabulary, and bad requests fail with a one-line message.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { runCli } from '../support/cli.ts';
import { discrepancy } from '../support/compare.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

describeWithShared('dtlens static / analyze <static analysis> CLI', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtlens-static-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const model = () => sharedPath('models', 'MemoryGatedMLP.pt');

  it('static --weights dti-compat writes the golden tensors (1e-5) plus labelled extra results', () => {
    const out = join(dir, 'static.safetensors');
    const r = runCli(['static', '--model', model(), '--weights', 'dti-compat', '--output', out], 300_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = readSafetensors(new Uint8Array(readFileSync(out)));
    const gold = readSafetensors(
      new Uint8Array(
        readFileSync(sharedPath('golden', 'analysis', 'MemoryGatedMLP', 'static_processed.safetensors')),
      ),
    ).tensors;
    for (const [name, g] of gold) {
      if (name.endsWith('.S')) continue; // sorted comparison in test/parity/static.test.ts
      const t = got.tensors.get(name)!;
      expect(t.shape, name).toEqual(g.shape);
      expect(discrepancy(toFloat32(t), toFloat32(g)).worst, name).toBeLessThan(1e-5);
    }
    const labels = JSON.parse(got.metadata!.labels) as Record<string, string[]>;
    expect(labels['meta_composition.total_influence']).toContain('L0H3 OV');
    expect(got.tensors.get('meta_composition.total_influence')!.shape).toEqual([
      labels['meta_composition.total_influence'].length,
    ]);
  });

  it('analyze composition / embeddings write JSON and figures; saved directions come back as a vocabulary', () => {
    const base = ['--model', model(), '--weights', 'dti-compat'];
    const comp = runCli([
      'analyze',
      'composition',
      ...base,
      '--figure',
      'graph',
      '--output',
      join(dir, 'c.json'),
      '--svg',
      join(dir, 'c.svg'),
      '--csv',
      join(dir, 'c.csv'),
    ]);
    expect(comp.status, comp.stderr).toBe(0);
    expect(comp.stdout).toMatch(/baseline mean 0\.0\d+ \(95% /);
    const json = JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8'));
    expect(
      json.result.graph.edges.every(
        (e: { writer: string; reader: string }) => e.writer.startsWith('L0') && e.reader.startsWith('L1'),
      ),
    ).toBe(true);
    expect(readFileSync(join(dir, 'c.svg'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(dir, 'c.csv'), 'utf8').split('\r\n')[0]).toBe('type,writer,reader,score');

    const dirs = join(dir, 'keyball.safetensors');
    const pca = runCli([
      'analyze',
      'embeddings',
      ...base,
      '--figure',
      'scree',
      '--select',
      '263,312,258,307',
      '--save-directions',
      dirs,
      '--output',
      join(dir, 'p.json'),
    ]);
    expect(pca.status, pca.stderr).toBe(0);
    const ov = runCli([
      'analyze',
      'ov-circuit',
      ...base,
      '--vocab',
      dirs,
      '--figure',
      'heatmap',
      '--head',
      'L1H0',
      '--output',
      join(dir, 'ov.json'),
      '--png',
      join(dir, 'ov.png'),
    ]);
    expect(ov.status, ov.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(dir, 'ov.json'), 'utf8')).result.circuit;
    expect(res.rowLabels).toEqual(['keyball PC1', 'keyball PC2']);
    expect(res.values.shape).toEqual([2, 4, 2, 7]);
  });

  it('bad requests fail with one typed line', () => {
    const base = ['--model', model(), '--output', join(dir, 'x.json')];
    const cases: [string[], RegExp][] = [
      [
        ['analyze', 'ov-circuit', ...base, '--figure', 'heatmap', '--head', 'L2H0'],
        /head L2H0 does not exist/,
      ],
      [['analyze', 'neurons', ...base, '--neurons', 'L0N999:in'], /neuron 999 does not exist/],
      [['analyze', 'mlp-composition', ...base, '--layer', '7'], /layer 7 does not exist/],
      [['analyze', 'ov-circuit', ...base, '--vocab', 'nothing'], /vocab must be one of state, action/],
      [
        ['analyze', 'embeddings', ...base, '--select', '0,5000', '--figure', 'pca'],
        /state index 5000 is outside/,
      ],
      [['analyze', 'logit-lens', ...base], /needs --input/],
      [
        ['static', '--model', model(), '--weights', 'folded', '--output', join(dir, 'y.safetensors')],
        /--weights must be one of/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
