/**
 * `dtlens analyze` end to end on the golden MemoryGatedMLP pairA window: the JSON results must match
 * the original Python's numbers, the figures must be written, and bad options must fail with a message.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { expectClose } from '../support/compare.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const pairFile = () => sharedPath('golden', 'analysis', 'MemoryGatedMLP', 'pairA_processed.safetensors');

describeWithShared('dtlens analyze CLI', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtlens-analyze-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const analyze = (args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin/dtlens.js'), 'analyze', ...args], { encoding: 'utf8' });
  const common = () => [
    '--model',
    sharedPath('models', 'MemoryGatedMLP.pt'),
    '--input',
    pairFile(),
    '--prefix',
    'clean.',
    '--weights',
    'dti-compat',
  ];

  it('decompose and logit-lens reproduce the golden attributions, with SVG, PNG and CSV figures', () => {
    const golden = readSafetensors(new Uint8Array(readFileSync(pairFile()))).tensors;
    const expectGolden = (actual: number[], name: string) => {
      expect(golden.has(name), name).toBe(true);
      expectClose(actual, toFloat32(golden.get(name)!), 1e-5, { label: name });
    };

    const out = join(dir, 'dla.json');
    const res = analyze([
      'decompose',
      ...common(),
      '--output',
      out,
      '--svg',
      join(dir, 'dla.svg'),
      '--level',
      'heads',
    ]);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/left − right at S9: logit difference/);
    const dla = JSON.parse(readFileSync(out, 'utf8')).result;
    expectGolden(dla.components.values, 'clean.full_resid_decomposition.logit_diff');
    expectGolden(dla.neurons.values, 'clean.full_resid_decomposition_neurons.logit_diff');
    expectGolden(dla.dti.values, 'clean.dti_residual_decomp');
    expectGolden([dla.logitDiff], 'clean.logit_dif');
    expect(readFileSync(join(dir, 'dla.svg'), 'utf8')).toMatch(/^<\?xml[^]*<svg [^]*<\/svg>$/);

    const lensOut = join(dir, 'lens.json');
    const png = join(dir, 'lens.png');
    const csv = join(dir, 'lens.csv');
    expect(analyze(['logit-lens', ...common(), '--output', lensOut, '--png', png, '--csv', csv]).status).toBe(
      0,
    );
    const lens = JSON.parse(readFileSync(lensOut, 'utf8')).result;
    expectGolden(lens.logitDiff, 'clean.logit_lens.logit_diff');
    expectGolden(lens.actionLogits.data, 'clean.logit_lens.action_logits');
    expect([...readFileSync(png).subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(readFileSync(csv, 'utf8').split('\r\n')[1]).toMatch(/^0_pre,-?\d/);
  });

  it('attention writes the patterns of every head', () => {
    const out = join(dir, 'att.json');
    expect(analyze(['attention', ...common(), '--output', out]).status).toBe(0);
    const att = JSON.parse(readFileSync(out, 'utf8')).result;
    expect(att.data.shape).toEqual([2, 4, 26, 26]);
    const golden = readSafetensors(new Uint8Array(readFileSync(pairFile()))).tensors;
    const l1 = att.data.data.slice(4 * 26 * 26);
    expectClose(l1, toFloat32(golden.get('clean.attn_pattern.L1')!), 1e-5, { label: 'attn_pattern.L1' });
  });

  it('fails with a clear message on bad options', () => {
    for (const [args, message] of [
      [
        ['nope', ...common(), '--output', join(dir, 'x.json')],
        /must be one of logit-lens, attention, decompose/,
      ],
      [
        ['decompose', ...common(), '--index', '1', '--output', join(dir, 'x.json')],
        /--index 1 is outside the 1 window/,
      ],
      [
        ['decompose', ...common(), '--positive', '9', '--output', join(dir, 'x.json')],
        /action 9 is outside 0..6/,
      ],
      [
        ['attention', ...common(), '--layer', '1', '--output', join(dir, 'x.json')],
        /both --layer and --head/,
      ],
      [
        ['logit-lens', ...common(), '--prefix', 'inputs.', '--output', join(dir, 'x.json')],
        /no "inputs.states"/,
      ],
    ] as const) {
      const res = analyze([...args]);
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(message);
    }
    expect(
      execFileSync(process.execPath, [join(repoRoot, 'bin/dtlens.js'), 'analyze', '--help'], {
        encoding: 'utf8',
      }),
    ).toMatch(/logit-lens \| attention \| decompose/);
  });
});
