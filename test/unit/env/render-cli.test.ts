import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { registerEnvRender } from '../../../src/node/cli/commands/envRender.ts';

const dir = mkdtempSync(join(tmpdir(), 'dtlens-env-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `dtlens env-render <args>` in-process and returns the written SVG. */
async function run(...args: string[]): Promise<string> {
  const out = join(dir, `out${Math.random().toString(36).slice(2)}.svg`);
  const program = new Command().exitOverride();
  registerEnvRender(program);
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['env-render', ...args, '--output', out], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return readFileSync(out, 'utf8');
}

/** The data-x/data-y of the tile holding the agent, and its rotation. */
function agentTile(svg: string): string {
  const m =
    /<g class="tile" data-x="(\d+)" data-y="(\d+)"[^>]*>(?:(?!<g class="tile").)*<polygon class="agent"[^>]*transform="rotate\((\d+) /s.exec(
      svg,
    );
  return m ? `${m[1]},${m[2]} rot ${m[3]}` : 'none';
}

describe('dtlens env-render', () => {
  it('draws the full grid after the actions (Memory seed 0: two steps east from (1,3))', async () => {
    const svg = await run('--env', 'MiniGrid-MemoryS7FixedStart-v0', '--seed', '0', '--actions', '2,2');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="224"');
    expect(agentTile(svg)).toBe('3,3 rot 0');
    expect(svg).toContain('<title>go to the matching object at the end of the hallway</title>');
  });

  it('draws the agent view with --pov, one-hot observations decoded, at the given tile size', async () => {
    const dense = await run(
      '--env',
      'MiniGrid-MemoryS7FixedStart-v0',
      '--seed',
      '0',
      '--actions',
      '0,3',
      '--pov',
      '--tile-size',
      '8',
    );
    const oneHot = await run(
      '--env',
      'MiniGrid-MemoryS7FixedStart-v0',
      '--seed',
      '0',
      '--actions',
      '0,3',
      '--pov',
      '--one-hot',
      '--tile-size',
      '8',
    );
    expect(oneHot).toBe(dense);
    expect(dense).toContain('width="56"');
    expect(agentTile(dense)).toBe('3,6 rot 270');
    // the picked-up start-room ball is carried, so it shows under the agent at view (3,6)
    expect(dense).toMatch(/data-x="3" data-y="6"[^>]*>(?:(?!class="tile").)*class="obj obj-ball"/s);
  });

  it('rejects bad options with a DtlensError', async () => {
    await expect(run('--env', 'MiniGrid-Empty-8x8-v0', '--seed', '0', '--tile-size', '0')).rejects.toThrow(
      DtlensError,
    );
    await expect(run('--env', 'MiniGrid-Empty-8x8-v0', '--seed', 'x')).rejects.toThrow(DtlensError);
    await expect(run('--env', 'MiniGrid-Empty-8x8-v0', '--seed', '0', '--actions', '2,,1')).rejects.toThrow(
      DtlensError,
    );
    await expect(run('--env', 'MiniGrid-Nope-v0', '--seed', '0')).rejects.toThrow(DtlensError);
  });
});
