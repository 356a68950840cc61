/**
 * `dtlens circuit` on the default MemoryS7 model and a pair of real rollouts: writes the circuit (JSON,
 * SVG) and evaluates a saved circuit to the same faithfulness, also on a dataset of the pair twice
 * (`--all-windows`); a circuit naming a node the model does not
 * have, and a pair made for another model, fail with one typed line and exit code 1.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.ts';
import { runCli } from '../../support/cli.ts';

const models = (name: string) =>
  fileURLToPath(new URL(`../../../models/${name}.safetensors`, import.meta.url));
const model = models('MiniGrid-MemoryS7FixedStart-v0');
const dir = mkdtempSync(join(tmpdir(), 'dtlens-circuit-'));
const pair = join(dir, 'pair.safetensors');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const r = runCli([
    'corrupt',
    '--env',
    'MiniGrid-MemoryS7FixedStart-v0',
    '--one-hot',
    '--seeds',
    '1,0',
    '--actions',
    '2,2,2,2',
    '--output',
    pair,
  ]);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

function fails(args: string[], message: RegExp): void {
  const r = runCli(args);
  expect(r.status, r.stdout).toBe(1);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

interface CircuitJson {
  faithfulness: number;
  graphEdges: number;
  edges: { label: string; confirmed: boolean }[];
}

describe('dtlens circuit', () => {
  it('discovers a circuit, draws it, and re-evaluates the saved circuit to the same faithfulness', () => {
    const out = join(dir, 'c.json');
    const svg = join(dir, 'c.svg');
    const r = runCli([
      'circuit',
      '--model',
      model,
      '--input',
      pair,
      '--top',
      '5',
      '--output',
      out,
      '--svg',
      svg,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/eap circuit: 5 of 3562 edges, faithfulness/);
    const c = JSON.parse(readFileSync(out, 'utf8')) as CircuitJson;
    expect(c.edges).toHaveLength(5);
    expect(existsSync(svg)).toBe(true);
    const again = join(dir, 'again.json');
    const e = runCli(['circuit', '--model', model, '--input', pair, '--evaluate', out, '--output', again]);
    expect(e.status, e.stderr).toBe(0);
    const g = JSON.parse(readFileSync(again, 'utf8')) as CircuitJson;
    expect(g.faithfulness).toBeCloseTo(c.faithfulness, 6);
    expect(g.edges.map((x) => x.label).sort()).toEqual(c.edges.map((x) => x.label).sort());
    // the same pair twice as a dataset (--all-windows): the mean metric is that pair's
    const tensors = readSafetensors(new Uint8Array(readFileSync(pair))).tensors;
    const doubled = Object.fromEntries(
      [...tensors].map(([name, t]) => {
        const src = t.data as Float32Array; // typed as float; its own class is kept below
        const data = new (src.constructor as Float32ArrayConstructor)(2 * src.length);
        data.set(src);
        data.set(src, src.length);
        return [name, { ...t, shape: [2 * t.shape[0], ...t.shape.slice(1)], data }];
      }),
    );
    const twice = join(dir, 'twice.safetensors');
    writeFileSync(twice, writeSafetensors(doubled));
    const d = runCli([
      'circuit',
      '--model',
      model,
      '--input',
      twice,
      '--all-windows',
      '--evaluate',
      out,
      '--output',
      again,
    ]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^2 pair\(s\)/);
    expect((JSON.parse(readFileSync(again, 'utf8')) as CircuitJson).faithfulness).toBeCloseTo(
      c.faithfulness,
      6,
    );
  }, 180_000);

  it("discovers a circuit for another metric (--metric): a neuron, by ACDC, at the library's value", () => {
    const out = join(dir, 'neuron.json');
    const args = ['--model', model, '--input', pair, '--metric', 'neuron', '--neuron', 'L1N88'];
    const r = runCli(['circuit', ...args, '--method', 'acdc', '--output', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mean L1N88 pre-activation: clean /);
    const c = JSON.parse(readFileSync(out, 'utf8')) as CircuitJson & { metricLabel: string };
    expect(c.metricLabel).toBe('L1N88 pre-activation');
    expect(c.edges.length).toBeGreaterThan(0);
    fails(['circuit', ...args.slice(0, 4), '--metric', 'loss', '--output', out], /--metric must be one of/);
    fails(
      ['circuit', ...args.slice(0, 4), '--metric', 'neuron', '--output', out],
      /--metric neuron needs --neuron L<layer>N<index>/,
    );
  }, 180_000);

  it('names a node the model lacks, and rejects a pair of another model', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(['L7H0 -> output @S9']));
    const out = join(dir, 'o.json');
    fails(
      ['circuit', '--model', model, '--input', pair, '--evaluate', bad, '--output', out],
      /sender L7H0 does not exist in this model \(2 layers × 4 heads\)/,
    );
    fails(
      ['circuit', '--model', models('MiniGrid-Dynamic-Obstacles-8x8-v0'), '--input', pair, '--output', out],
      /states must have shape \[B, T, 7, 7, 3\], got \[1, 9, 7, 7, 20\]/,
    );
  }, 120_000);
});
