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

  it('ablate and attention-diff: golden logit difference and attention patterns; ablated head attributes 0', () => {
    const model = sharedPath('models', 'MemoryGatedMLP.pt');
    const pairA = sharedPath('golden', 'analysis', 'MemoryGatedMLP', 'pairA_raw.safetensors');
    const g = read(pairA);
    const ab = join(dir, 'ablate.json');
    const r = cli([
      'ablate',
      '--model',
      model,
      '--input',
      pairA,
      '--prefix',
      'clean.',
      '--heads',
      'L0H1',
      '--output',
      ab,
      '--svg',
      join(dir, 'ab.svg'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(ab, 'utf8')) as {
      logitDiffBefore: number;
      logitDiffAfter: number;
      decompositionAfter: { components: { labels: string[]; values: number[] } };
    };
    expect(res.logitDiffBefore).toBeCloseTo(toFloat32(g.get('clean.logit_dif')!)[0], 4);
    const after = res.decompositionAfter.components;
    expect(after.values[after.labels.indexOf('L0H1')]).toBe(0);
    expect(existsSync(join(dir, 'ab.prediction.svg')) && existsSync(join(dir, 'ab.attribution.svg'))).toBe(
      true,
    );
    const ad = join(dir, 'attention.json');
    const d = cli(['attention-diff', '--model', model, '--input', pairA, '--output', ad]);
    expect(d.status, d.stderr).toBe(0);
    const diff = (JSON.parse(readFileSync(ad, 'utf8')) as { diff: { shape: number[]; data: number[] } }).diff;
    expect(diff.shape).toEqual([2, 4, 26, 26]);
    for (const l of [0, 1]) {
      const c = toFloat32(g.get(`clean.attn_pattern.L${l}`)!);
      const k = toFloat32(g.get(`corrupted.attn_pattern.L${l}`)!);
      const part = diff.data.slice(l * c.length, (l + 1) * c.length);
      expect(Math.max(...part.map((v, i) => Math.abs(v - (k[i] - c[i]))))).toBeLessThan(1e-5);
    }
  });

  it('ablate --dataset (mean, resample) and --interventions (set from "dataset") restore golden noise patching of L0H1', () => {
    const model = sharedPath('models', 'MemoryGatedMLP.pt');
    const pairA = sharedPath('golden', 'analysis', 'MemoryGatedMLP', 'pairA_raw.safetensors');
    const g = read(pairA);
    // A dataset of two windows, both pairA's corrupted one: its mean and any resampled row are that window.
    const twice = (t: RawTensor): RawTensor => {
      const d = t.data as Float32Array;
      const out = new (d.constructor as Float32ArrayConstructor)(d.length * 2);
      out.set(d);
      out.set(d, d.length);
      return { dtype: t.dtype, shape: [t.shape[0] * 2, ...t.shape.slice(1)], data: out };
    };
    const ds = join(dir, 'dataset.safetensors');
    writeFileSync(
      ds,
      writeSafetensors(
        Object.fromEntries(WINDOW.map((t) => [`inputs.${t}`, twice(g.get(`corrupted.${t}`)!)])),
      ),
    );
    const base = ['ablate', '--model', model, '--input', pairA, '--prefix', 'clean.', '--dataset', ds];
    const run = (args: string[]) => {
      const out = join(dir, 'ablate-ds.json');
      const r = cli([...base, ...args, '--output', out]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')) as { logitDiffBefore: number; logitDiffAfter: number };
    };
    const cleanLd = toFloat32(g.get('clean.logit_dif')!)[0];
    const corruptLd = toFloat32(g.get('corrupted.logit_dif')!)[0];
    // TL noise patching of head L0H1's z at every position (golden [layer, head] = [0, 1]).
    const want = toFloat32(g.get('patch.noise.tl.attn_head_out_all_pos')!)[1];
    expect(want).toBeGreaterThan(0.99);
    const ivFile = join(dir, 'set.json');
    writeFileSync(
      ivFile,
      JSON.stringify({
        hook: 'blocks.0.attn.hook_z',
        op: { kind: 'set', source: 'dataset' },
        where: { heads: [1] },
      }),
    );
    for (const args of [
      ['--heads', 'L0H1', '--method', 'mean'],
      ['--heads', 'L0H1', '--method', 'resample', '--seed', '7'],
      ['--interventions', ivFile],
    ]) {
      const r = run(args);
      expect(r.logitDiffBefore, args.join(' ')).toBeCloseTo(cleanLd, 4);
      expect((r.logitDiffAfter - cleanLd) / (corruptLd - cleanLd), args.join(' ')).toBeCloseTo(want, 4);
    }
    // An interventions file without --dataset: zeroing L0H1 from JSON equals --heads L0H1 (zero).
    const zeroFile = join(dir, 'zero.json');
    writeFileSync(
      zeroFile,
      JSON.stringify([[{ hook: 'blocks.0.attn.hook_z', op: { kind: 'zero' }, where: { heads: [1] } }]]),
    );
    const noDs = (args: string[]) => {
      const out = join(dir, 'ablate-zero.json');
      const r = cli([
        'ablate',
        '--model',
        model,
        '--input',
        pairA,
        '--prefix',
        'clean.',
        ...args,
        '--output',
        out,
      ]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')) as { logitDiffAfter: number; after: number[] };
    };
    const fromJson = noDs(['--interventions', zeroFile]);
    const fromHeads = noDs(['--heads', 'L0H1']);
    expect(fromJson.logitDiffAfter).toBe(fromHeads.logitDiffAfter);
    expect(fromJson.after).toEqual(fromHeads.after);
    expect(fromJson.logitDiffAfter).not.toBeCloseTo(cleanLd, 1);
  });

  it('attention-diff --interventions: zeroing L0H2 pattern gives −(golden clean pattern) there, 0 at other L0 heads', () => {
    const pairA = sharedPath('golden', 'analysis', 'MemoryGatedMLP', 'pairA_raw.safetensors');
    const iv = join(dir, 'zero-pattern.json');
    writeFileSync(
      iv,
      JSON.stringify({ hook: 'blocks.0.attn.hook_pattern', op: { kind: 'zero' }, where: { heads: [2] } }),
    );
    const out = join(dir, 'attention-iv.json');
    const model = sharedPath('models', 'MemoryGatedMLP.pt');
    const r = cli([
      'attention-diff',
      '--model',
      model,
      '--input',
      pairA,
      '--interventions',
      iv,
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(out, 'utf8')) as { label: string; diff: { data: number[] } };
    expect(res.label).toBe('intervened − clean');
    const n = 26 * 26;
    const head = (l: number, h: number) => res.diff.data.slice((l * 4 + h) * n, (l * 4 + h + 1) * n);
    const clean = toFloat32(read(pairA).get('clean.attn_pattern.L0')!).slice(2 * n, 3 * n);
    expect(Math.max(...head(0, 2).map((v, i) => Math.abs(v + clean[i])))).toBeLessThan(1e-6);
    for (const h of [0, 1, 3]) expect(head(0, h).every((v) => v === 0)).toBe(true);
    expect(Math.max(...head(1, 0).map(Math.abs))).toBeGreaterThan(0.01);
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
    const ablate = ['ablate', '--model', model, '--input', pairA, '--prefix', 'clean.', '--output', out];
    const ivFile = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return ['--interventions', f];
    };
    fail([...ablate, ...ivFile('bad.json', '[{"hook":')], /interventions are not valid JSON/);
    fail(
      [...ablate, ...ivFile('hook.json', '{"hook":"blocks.9.attn.hook_z","op":{"kind":"zero"}}')],
      /unknown hook point "blocks.9.attn.hook_z"/,
    );
    fail(
      [
        ...ablate,
        ...ivFile('idx.json', '{"hook":"blocks.0.attn.hook_z","op":{"kind":"zero"},"where":{"heads":[7]}}'),
      ],
      /where.heads index 7 is outside 0..3 for blocks.0.attn.hook_z/,
    );
    fail([...ablate, '--heads', 'L0H1', '--method', 'resample'], /resample ablation needs a dataset/);
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
