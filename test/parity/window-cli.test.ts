/**
 * `dtlens window` builds the window the app feeds the model: against the golden MemoryGatedMLP rollout
 * (seed 0, RTG 0.9) its tensors equal the Python's `inputs.*` row of that step exactly, `forward` on it
 * gives the golden logits, and the app engine's "Export window" writes the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RawTensor } from '../../src/io/rawTensor.ts';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { Engine } from '../../src/session/engine.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { runCli } from '../support/cli.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

const ENV = 'MiniGrid-MemoryS7FixedStart-v0';
const model = () => sharedPath('models', 'MemoryGatedMLP.pt');
const read = (path: string) => readSafetensors(new Uint8Array(readFileSync(path))).tensors;

/** Row `k` of a batched golden tensor. */
function row(t: RawTensor, k: number): number[] {
  const n = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from(t.data as ArrayLike<number | bigint>, Number).slice(k * n, (k + 1) * n);
}
const values = (t: RawTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describeWithShared('dtlens window', () => {
  let dir = '';
  let golden: Map<string, RawTensor>;
  let actions: number[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtlens-window-'));
    const traj = readSharedJson<{ trajectories: { seed: number; file: string; actions: number[] }[] }>(
      'golden',
      'MemoryGatedMLP',
      'trajectories.json',
    ).trajectories.find((t) => t.seed === 0)!;
    golden = read(sharedPath('golden', 'MemoryGatedMLP', traj.file));
    actions = traj.actions;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const window = (k: number, out: string) => {
    const r = runCli([
      'window',
      '--env',
      ENV,
      '--seed',
      '0',
      '--actions',
      actions.slice(0, k).join(','),
      '--rtg',
      '0.9',
      '--model',
      model(),
      '--output',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return read(out);
  };

  it('equals the golden inputs of every step exactly (left padding, RTGs, timesteps, actions)', () => {
    for (const k of [0, 3, actions.length - 1]) {
      const w = window(k, join(dir, `w${k}.safetensors`));
      for (const name of ['states', 'rtgs', 'timesteps', 'actions']) {
        const mine = w.get(`inputs.${name}`)!;
        const want = golden.get(`inputs.${name}`)!;
        expect(mine.shape, name).toEqual([1, ...want.shape.slice(1)]);
        expect(values(mine), `${name} at step ${k}`).toEqual(row(want, k));
      }
    }
  });

  it('chains into forward, which gives the golden logits to 1e-5', () => {
    const k = 4;
    window(k, join(dir, 'chain.safetensors'));
    const r = runCli([
      'forward',
      '--model',
      model(),
      '--input',
      join(dir, 'chain.safetensors'),
      '--output',
      join(dir, 'out.safetensors'),
    ]);
    expect(r.status).toBe(0);
    const preds = read(join(dir, 'out.safetensors')).get('action_preds')!;
    const last = toFloat32(preds).slice(-7);
    const want = row(golden.get('episode.step_action_logits')!, k);
    last.forEach((v, a) => expect(Math.abs(v - want[a])).toBeLessThan(1e-5));
  });

  it('writes the same bytes as the app engine’s Export window', () => {
    const k = 3;
    const cli = readFileSync(join(dir, `w${k}.safetensors`));
    const engine = new Engine(new TsGemm());
    const reply = engine.handle({
      id: 1,
      command: {
        type: 'load',
        bytes: new Uint8Array(readFileSync(model())),
        fileName: 'MemoryGatedMLP.pt',
        seed: 0,
        initialRtg: 0.9,
        actions: actions.slice(0, k),
      },
      panels: [],
    });
    expect(reply.ok).toBe(true);
    expect(Buffer.from(engine.windowFile()).equals(cli)).toBe(true);
  });

  it('refuses bad values with one line naming the option', () => {
    const base = [
      'window',
      '--env',
      ENV,
      '--seed',
      '0',
      '--model',
      model(),
      '--output',
      join(dir, 'x.safetensors'),
    ];
    const cases: [string[], RegExp][] = [
      [['--rtg', 'abc'], /^dtlens: --rtg must be a number, got 'abc'$/],
      [['--actions', '2,x'], /^dtlens: each value of --actions must be a non-negative integer, got 'x'$/],
      [
        ['--actions', actions.concat([2]).join(',')],
        /^dtlens: --actions: action 2 \(number 7\) cannot be played: the episode ended after 6 step\(s\)$/,
      ],
      [
        ['--actions', '9'],
        /^dtlens: --actions: action 9 \(number 1\) cannot be played: the env has actions 0..6$/,
      ],
    ];
    for (const [extra, message] of cases) {
      const r = runCli([...base, ...extra]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    const mismatch = runCli([
      'window',
      '--env',
      'MiniGrid-DoorKey-8x8-v0',
      '--seed',
      '0',
      '--model',
      model(),
      '--output',
      join(dir, 'x.safetensors'),
    ]);
    expect(mismatch.stderr.trim()).toBe(
      `dtlens: --env MiniGrid-DoorKey-8x8-v0 does not match the model's env ${ENV}`,
    );
  });
});
