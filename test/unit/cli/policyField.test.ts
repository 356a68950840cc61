/** `dtlens policy-field` on the default MemoryS7 model: the field at the agent's pose is the replayed window's prediction; one-line errors. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { openSession } from '../../../src/session/openSession.ts';
import { replayEpisode } from '../../../src/session/replay.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { expectClose } from '../../support/compare.ts';
import { runCli } from '../../support/cli.ts';

const MODEL = resolve(import.meta.dirname, '../../../models/MiniGrid-MemoryS7FixedStart-v0.safetensors');
const dir = mkdtempSync(join(tmpdir(), 'dtlens-field-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dtlens policy-field', () => {
  it('gives the replayed window’s own prediction at the agent’s pose, at two RTGs, with the figure', () => {
    const out = join(dir, 'pf.json');
    const svg = join(dir, 'pf.svg');
    const args = ['policy-field', '--model', MODEL, '--seed', '0', '--actions', '2,2', '--rtg', '0.9'];
    const r = runCli([...args, '--rtg2', '0', '--view', 'difference', '--output', out, '--svg', svg]);
    expect(r.stderr).toBe('');
    const { result } = JSON.parse(readFileSync(out, 'utf8'));
    const session = openSession(loadCheckpoint(new Uint8Array(readFileSync(MODEL))), {
      gemm: new TsGemm(),
      weights: 'raw',
      initialRtg: 0.9,
    });
    replayEpisode(session, 0, [2, 2]);
    const A = result.actionNames.length;
    const own = session.predict().probs;
    expectClose(result.probabilities.data.slice(result.agentRow * A, (result.agentRow + 1) * A), own, 1e-5);
    expect(result.second.rtg).toBe(0);
    expect(readFileSync(svg, 'utf8')).toContain('policy field: Δ p(forward) at RTG 0');
  }, 120_000);

  it('names an action that cannot be played in one line', () => {
    const r = runCli([
      'policy-field',
      '--model',
      MODEL,
      '--seed',
      '0',
      '--actions',
      '2,9',
      '--output',
      join(dir, 'x.json'),
    ]);
    expect(r.stderr.trim()).toBe(
      'dtlens: --actions: action 9 (number 2) cannot be played: the env has actions 0..6',
    );
  }, 120_000);
});
