/**
 * Hostile and corrupt files through the CLI, as a user meets them: one line `dtlens: <what> (<file>)`,
 * exit code 1, terminal escapes from file contents neutralised, file-system errors translated, NaN
 * weights refused unless --allow-non-finite-weights, and NaN outputs reported.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTACKS } from '../../fuzz/attacks.ts';
import { inputWindows, tinyCheckpoint, tinyTorchCheckpoint } from '../../fuzz/bases.ts';
import { runCli } from '../../support/cli.ts';

/** The attacks these tests run through the CLI (every attack is refused by the loaders: fuzz.test.ts). */
const USED = ['stride-0', 'model_config is a tensor', 'terminal escape'];
let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtlens-hostile-'));
  const nan = tinyCheckpoint().weights;
  (nan.get('transformer.blocks.0.mlp.W_in')!.data as Float32Array)[5] = NaN;
  writeFileSync(file('nan.pt'), tinyTorchCheckpoint(1, nan));
  writeFileSync(file('ok.pt'), tinyTorchCheckpoint());
  writeFileSync(file('in.safetensors'), inputWindows());
  mkdirSync(file('dir.safetensors'));
  for (const [i, a] of ATTACKS.entries())
    if (USED.some((name) => a.name.includes(name))) writeFileSync(file(`${i}.pt`), a.make());
});

/** The CLI failed with exactly one line naming `path`, free of control characters. */
function expectOneLineError(r: ReturnType<typeof runCli>, path: string, pattern: RegExp): void {
  expect(r.status).toBe(1);
  const lines = r.stderr.split('\n');
  expect(lines.length, r.stderr).toBe(2);
  expect(lines[1]).toBe('');
  expect(lines[0]).toMatch(/^dtlens: /);
  expect(lines[0].endsWith(`(${path})`), lines[0]).toBe(true);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
}

describe('dtlens on hostile files', () => {
  it('prints a tensor name with terminal escape sequences escaped', () => {
    const i = ATTACKS.findIndex((a) => a.cls === 'message');
    const r = runCli(['info', file(`${i}.pt`)]);
    expectOneLineError(r, file(`${i}.pt`), /unexpected key \\x1b\[2K\\x1b\[1A\\x1b\[31mevil\\x07 /);
  });

  it('refuses checkpoint attacks with one typed line each (stride trick, config that is a tensor)', () => {
    const picks: [string, RegExp][] = [
      ['stride-0', /exceeds its storage/],
      ['model_config is a tensor', /model_config is not JSON text/],
    ];
    for (const [name, pattern] of picks) {
      const i = ATTACKS.findIndex((a) => a.name.includes(name));
      expectOneLineError(
        runCli(['convert', file(`${i}.pt`), file(`out${i}.safetensors`)]),
        file(`${i}.pt`),
        pattern,
      );
    }
  }, 120_000);

  it('refuses NaN weights by default and loads them with --allow-non-finite-weights, reporting NaN outputs', () => {
    const args = [
      'forward',
      '--model',
      file('nan.pt'),
      '--input',
      file('in.safetensors'),
      '--output',
      file('o.safetensors'),
    ];
    expectOneLineError(runCli(args), file('nan.pt'), /W_in holds a non-finite value \(element 5\)/);
    const r = runCli([...args, '--allow-non-finite-weights']);
    expectOneLineError(r, file('o.safetensors'), /produced NaN or infinite values in .*action_preds/);
    expect(r.stdout).toContain('wrote');
    const converted = runCli([
      'convert',
      file('nan.pt'),
      file('nan.safetensors'),
      '--allow-non-finite-weights',
    ]);
    expect(converted.status, converted.stderr).toBe(0);
    const ok = runCli([
      'forward',
      '--model',
      file('ok.pt'),
      '--input',
      file('in.safetensors'),
      '--output',
      file('o2.safetensors'),
    ]);
    expect(ok.status, ok.stderr).toBe(0);
  }, 120_000);

  it('translates file-system errors: an output path that is a directory', () => {
    const r = runCli(['convert', file('ok.pt'), file('dir.safetensors'), '--force']);
    expectOneLineError(r, file('dir.safetensors'), /cannot write output file: it is a directory/);
  });
});
