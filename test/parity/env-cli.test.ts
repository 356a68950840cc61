/** `dtlens env-replay` end to end: its output file must equal a golden env file tensor for tensor. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const variant = 'MiniGrid-MemoryS7FixedStart-v0_max_steps20';

describeWithShared('dtlens env-replay CLI', () => {
  it(`reproduces golden ${variant} seed 1 (one-hot, truncation and an unseeded reset)`, () => {
    const manifest = readSharedJson<{ seeds: { seed: number; file: string; actions: number[] }[] }>(
      'golden',
      'env',
      variant,
      'manifest.json',
    );
    const entry = manifest.seeds.find((s) => s.seed === 1);
    expect(entry).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'dtlens-env-replay-'));
    try {
      const out = join(dir, 'out.safetensors');
      const stdout = execFileSync(
        process.execPath,
        [
          join(repoRoot, 'bin/dtlens.js'),
          'env-replay',
          '--env',
          'MiniGrid-MemoryS7FixedStart-v0',
          '--seed',
          '1',
          '--actions',
          entry!.actions.join(','),
          '--max-steps',
          '20',
          '--one-hot',
          '--output',
          out,
        ],
        { encoding: 'utf8' },
      );
      expect(stdout).toMatch(/30 steps/);
      const ours = readSafetensors(new Uint8Array(readFileSync(out)));
      const gold = readSafetensors(
        new Uint8Array(readFileSync(sharedPath('golden', 'env', variant, entry!.file))),
      );
      expect([...ours.tensors.keys()].sort()).toEqual([...gold.tensors.keys()].sort());
      for (const [name, t] of gold.tensors) {
        const mine = ours.tensors.get(name)!;
        expect({ name, dtype: mine.dtype, shape: mine.shape }).toEqual({
          name,
          dtype: t.dtype,
          shape: t.shape,
        });
        expect(Array.from(mine.data as ArrayLike<number | bigint>), name).toEqual(
          Array.from(t.data as ArrayLike<number | bigint>),
        );
      }
      expect(ours.metadata).toEqual({ env: 'MiniGrid-MemoryS7FixedStart-v0', seed: '1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
