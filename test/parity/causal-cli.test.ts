/**
 * `dtlens corrupt` and `dtlens patch` end to end: the env rollout pair, DTI's state edit and the All-RTG
 * variation rebuild golden pairA / pairC exactly; `patch` writes every sweep under the golden names
 * (checked against the golden values) with figures; bad options and bad windows fail with a one-line
 * message and exit code 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RawTensor, toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const golden = (pair: string) =>
  sharedPath('golden', 'analysis', 'MemoryGatedMLP', `${pair}_processed.safetensors`);
const read = (file: string) => readSafetensors(new Uint8Array(readFileSync(file))).tensors;
const cli = (args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'bin/dtlens.js'), ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
const WINDOW = ['states', 'actions', 'rtgs', 'timesteps'];

/** Every window tensor of `got` equals golden's, dtype and shape included. */
function expectSameWindows(got: Map<string, RawTensor>, want: Map<string, RawTensor>) {
  for (const role of ['clean', 'corrupted'])
    for (const t of WINDOW) {
      const name = `${role}.${t}`;
      expect(got.get(name)?.dtype, name).toBe(want.get(name)!.dtype);
      expect(got.get(name)?.shape, name).toEqual(want.get(name)!.shape);
      expect(toFloat32(got.get(name)!), name).toEqual(toFloat32(want.get(name)!));
    }
}

describeWithShared('dtlens corrupt and dtlens patch', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtlens-causal-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('corrupt: two MemoryS7 rollouts (seeds 1, 0) are golden pairA', () => {
    const out = join(dir, 'rollouts.safetensors');
    const r = cli([
      'corrupt',
      '--env',
      'MiniGrid-MemoryS7FixedStart-v0',
      '--one-hot',
      '--seeds',
      '1,0',
      '--actions',
      '2,2,2,2',
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expectSameWindows(read(out), read(golden('pairA')));
  });

  it("corrupt: DTI's state edit gives pairA, All RTG 0 gives pairC", () => {
    const a = join(dir, 'a.safetensors');
    const r = cli([
      'corrupt',
      '--input',
      golden('pairA'),
      '--prefix',
      'clean.',
      '--state',
      '4,2,6,ball',
      '--output',
      a,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('S5 (2,6): key -> ball');
    expectSameWindows(read(a), read(golden('pairA')));
    const c = join(dir, 'c.safetensors');
    const rc = cli([
      'corrupt',
      '--input',
      golden('pairC'),
      '--prefix',
      'clean.',
      '--all-rtg',
      '0',
      '--output',
      c,
    ]);
    expect(rc.status, rc.stderr).toBe(0);
    expectSameWindows(read(c), read(golden('pairC')));
  });

  it('patch: every sweep under the golden names, matching the golden values, with figures', () => {
    const out = join(dir, 'patch.safetensors');
    const svg = join(dir, 'patch.svg');
    const r = cli([
      'patch',
      '--model',
      sharedPath('models', 'MemoryGatedMLP.pt'),
      '--input',
      golden('pairC'),
      '--weights',
      'dti-compat',
      '--mode',
      'noise',
      '--output',
      out,
      '--svg',
      svg,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/logit difference left − right: clean -?\d+\.\d+, corrupted -?\d+\.\d+/);
    const got = read(out);
    const want = read(golden('pairC'));
    const names = [...want.keys()].filter((k) => k.startsWith('patch.noise.'));
    expect(names.length).toBe(13);
    for (const k of names) {
      const g = toFloat32(got.get(k)!);
      const w = toFloat32(want.get(k)!);
      expect(got.get(k)!.shape, k).toEqual(want.get(k)!.shape);
      expect(Math.max(...g.map((v, i) => Math.abs(v - w[i]))), k).toBeLessThan(1e-4);
      expect(got.get(`${k}.patched`)!.shape, k).toEqual(want.get(k)!.shape);
      expect(existsSync(join(dir, `patch.${k}.svg`)), k).toBe(true);
    }
    expect([...got.keys()].some((k) => k.startsWith('patch.denoise'))).toBe(false);
    expect(toFloat32(got.get('clean.logit_dif')!)[0]).toBeCloseTo(
      toFloat32(want.get('clean.logit_dif')!)[0],
      4,
    );
  });

  it('bad options and windows fail with one clear line', () => {
    const fail = (args: string[], message: RegExp) => {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n').length).toBe(1);
      expect(r.stderr).toMatch(message);
    };
    const out = join(dir, 'bad.safetensors');
    const pairA = golden('pairA');
    const common = ['corrupt', '--input', pairA, '--prefix', 'clean.', '--output', out];
    fail([...common, '--state', '4,9,6,ball'], /cell \(9,6\) is outside the 7x7 observation/);
    fail([...common, '--state', '4,2,6'], /--state must look like step,x,y,object/);
    fail([...common, '--action', '0=9'], /action 9 is outside 0..6/);
    fail([...common, '--rtg', 'x'], /--rtg must look like step=value/);
    fail([...common, '--timestep', '0=5000'], /outside the time embedding's range/);
    fail(common, /no variation given/);
    fail([...common, '--index', '3', '--all-rtg', '0'], /window 3 is outside the 1 window/);
    const model = sharedPath('models', 'MemoryGatedMLP.pt');
    const patch = ['patch', '--model', model, '--output', out];
    fail([...patch, '--input', pairA, '--mode', 'sideways'], /--mode must be one of noise, denoise, both/);
    fail([...patch, '--input', pairA, '--positive', '9'], /outside|action/);
    // A file without the corrupted window, and windows of another model.
    const onlyClean = join(dir, 'clean-only.safetensors');
    const g = read(pairA);
    writeFileSync(
      onlyClean,
      writeSafetensors(Object.fromEntries([...g].filter(([k]) => k.startsWith('clean.')))),
    );
    fail([...patch, '--input', onlyClean], /no "corrupted.states" tensor/);
    fail(
      [
        'patch',
        '--model',
        sharedPath('models', 'ReproduceOriginalPostShort.pt'),
        '--input',
        pairA,
        '--output',
        out,
      ],
      /states must have shape \[B, T, 7, 7, 3\]/,
    );
  });
});
