/**
 * `dtlens dataset` and `dtlens analyze norms|kurtosis|head-types` end to end on the default MemoryS7
 * model (models/; each test spawns several CLI processes, hence the long timeouts): a small rollout dataset, each analysis's JSON and figure, `scrub --dataset` against the library, and the typed errors for a
 * dataset of another model's shape and bad options.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalScrub, parseHypothesis } from '../../../src/analysis/causal/scrubbing.ts';
import { labelledWindowsFromDataset } from '../../../src/analysis/causal/windows.ts';
import { readWindowDataset } from '../../../src/analysis/scans/windowDataset.ts';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { runCli } from '../../support/cli.ts';

const MODELS = resolve(import.meta.dirname, '../../../models');
const memory = join(MODELS, 'MiniGrid-MemoryS7FixedStart-v0.safetensors');
const obstacles = join(MODELS, 'MiniGrid-Dynamic-Obstacles-8x8-v0.safetensors');

describe('dtlens dataset and dataset analyses', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtlens-dataset-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds a rollout dataset, runs norms, kurtosis and head types and causal scrubbing on it', async () => {
    const ds = join(dir, 'D.safetensors');
    const made = runCli(['dataset', '--model', memory, '--seeds', '0-3', '--rtg', '0,0.9', '--output', ds]);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toMatch(
      /windows of 9 timesteps from 8 episodes .*success rate by RTG 0\.\d\d, \d\.\d\d/,
    );
    const windows = readWindowDataset(new Uint8Array(readFileSync(ds)));
    expect(new Set(windows.episode).size).toBe(8);
    for (const analysis of ['norms', 'kurtosis', 'head-types']) {
      const out = join(dir, `${analysis}.json`);
      const svg = join(dir, `${analysis}.svg`);
      const r = runCli([
        'analyze',
        analysis,
        '--model',
        memory,
        '--dataset',
        ds,
        '--output',
        out,
        '--svg',
        svg,
      ]);
      expect(r.status, r.stderr).toBe(0);
      const json = JSON.parse(readFileSync(out, 'utf8'));
      expect(json.analysis).toBe(analysis);
      expect(readFileSync(svg, 'utf8')).toMatch(/^<\?xml[^]*<svg [^]*<\/svg>$/);
      if (analysis === 'head-types') expect(json.result.types).toHaveLength(8);
      if (analysis === 'kurtosis') expect(json.result.hooks).toHaveLength(12);
      if (analysis === 'norms')
        expect(json.result.states.labels).toEqual(['0_pre', '0_mid', '1_pre', '1_mid', 'final_post']);
    }
    // Causal scrubbing over the dataset's windows (`scrub --dataset`) = the library on the same windows.
    const hypothesis = resolve(import.meta.dirname, '../../../docs/hypotheses/MemoryS7.json');
    const out = join(dir, 'scrub.json');
    const args = ['scrub', '--model', memory, '--hypothesis', hypothesis, '--dataset', ds, '--backend', 'ts'];
    const r = runCli([...args, '--output', out]);
    expect(r.status, r.stderr).toBe(0);
    const model = createModel(loadCheckpoint(new Uint8Array(readFileSync(memory))), { gemm: new TsGemm() });
    const want = await causalScrub(
      model,
      labelledWindowsFromDataset(windows),
      parseHypothesis(readFileSync(hypothesis, 'utf8')),
      { seed: 0, direction: { positive: 0, negative: 1 } },
    );
    const got = JSON.parse(readFileSync(out, 'utf8')) as typeof want;
    expect(got.windows).toBe(windows.episode.length);
    expect(got.loss.recovered).toBeCloseTo(want.loss.recovered, 10);
    expect(got.nodes.map((n) => n.recoveredWithout.loss)).toEqual(
      want.nodes.map((n) => n.recoveredWithout.loss),
    );
  }, 120_000);

  it('rejects a dataset of another model shape and bad options with one-line messages', () => {
    const ds = join(dir, 'E.safetensors');
    const made = runCli([
      'dataset',
      '--expert',
      '--env',
      'MiniGrid-MemoryS7FixedStart-v0',
      '--one-hot',
      '--seeds',
      '0-1',
      '--output',
      ds,
    ]);
    expect(made.status, made.stderr).toBe(0);
    for (const [args, message] of [
      [
        ['analyze', 'norms', '--model', obstacles, '--dataset', ds, '--output', join(dir, 'x.json')],
        /another model's shape/,
      ],
      [['analyze', 'norms', '--model', memory, '--output', join(dir, 'x.json')], /norms needs --dataset/],
      [
        ['analyze', 'norms', '--model', memory, '--dataset', memory, '--output', join(dir, 'x.json')],
        /not a dtlens window dataset/,
      ],
      [
        ['dataset', '--model', memory, '--seeds', '9-3', '--output', join(dir, 'y.safetensors')],
        /empty or inverted/,
      ],
      [
        ['dataset', '--expert', '--dti', ds, '--env', 'x', '--output', join(dir, 'y.safetensors')],
        /exactly one of/,
      ],
    ] as const) {
      const r = runCli([...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 120_000);
});
