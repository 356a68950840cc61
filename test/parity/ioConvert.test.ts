/** `dtlens convert` on every shared model: the written file reloads with identical configs and weights. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, expect, it, vi } from 'vitest';
import { DtlensError } from '../../src/errors.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { bytesOf } from '../../src/io/rawTensor.ts';
import { registerConvert } from '../../src/node/cli/commands/convert.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

async function runConvert(...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerConvert(program);
  await program.parseAsync(['convert', ...args], { from: 'user' });
}

describeWithShared('dtlens convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtlens-convert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const models = readdirSync(sharedPath('models')).filter((f) => f.endsWith('.pt'));

  it('finds every reference checkpoint', () => {
    expect(models.sort()).toEqual([
      'DevModelNotCalibrated.pt',
      'MemoryGatedMLP.pt',
      'ReproduceOriginalPostShort.pt',
      'demo_model.pt',
      'demo_model_one_hot_overnight.pt',
      'demo_model_overnight_training.pt',
      'first_pass.pt',
      'linear_model_not_performant.pt',
    ]);
  });

  it.each(models)('%s', async (file) => {
    const out = join(dir, file.replace(/\.pt$/, '.safetensors'));
    const log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await runConvert(sharedPath('models', file), out);
    } finally {
      log.mockRestore();
    }
    const original = loadCheckpoint(new Uint8Array(readFileSync(sharedPath('models', file))), file);
    const converted = loadCheckpoint(new Uint8Array(readFileSync(out)));
    expect(converted.format).toBe('dtlens');
    expect(converted.provenance.original_format).toBe(original.format);
    for (const key of ['model', 'env', 'nActions', 'obsShape', 'offline', 'legacy'] as const)
      expect(converted[key], key).toEqual(original[key]);
    expect([...converted.weights.keys()].sort()).toEqual([...original.weights.keys()].sort());
    for (const [name, t] of original.weights) {
      const u = converted.weights.get(name)!;
      expect([u.dtype, u.shape], name).toEqual([t.dtype, t.shape]);
      expect(Buffer.compare(bytesOf(u.data), bytesOf(t.data)), name).toBe(0);
    }
  });

  it('refuses a non-safetensors output and an existing file without --force', async () => {
    const input = sharedPath('models', models[0]);
    await expect(runConvert(input, join(dir, 'x.bin'))).rejects.toThrow(DtlensError);
    const out = join(dir, 'exists.safetensors');
    const log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await runConvert(input, out);
      await expect(runConvert(input, out)).rejects.toThrow(/--force/);
      await runConvert(input, out, '--force');
    } finally {
      log.mockRestore();
    }
  });
});
