import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { runCli } from '../support/cli.ts';
import { expectClose } from '../support/compare.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

describeWithShared('dtlens forward and info on the reference checkpoints', () => {
  it('forward --weights dti-compat --cache reproduces the golden outputs and cache of MemoryGatedMLP', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dtlens-')), 'out.safetensors');
    const input = sharedPath('golden/MemoryGatedMLP/traj0_seed0.safetensors');
    const r = runCli([
      'forward',
      '--model',
      sharedPath('models/MemoryGatedMLP.pt'),
      '--input',
      input,
      '--output',
      out,
      '--weights',
      'dti-compat',
      '--cache',
      '--backend',
      'ort',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = readSafetensors(new Uint8Array(readFileSync(out))).tensors;
    const golden = readSafetensors(new Uint8Array(readFileSync(input))).tensors;
    const cache = readSafetensors(
      new Uint8Array(
        readFileSync(sharedPath('golden/MemoryGatedMLP/cache_processed_traj0_seed0.safetensors')),
      ),
    ).tensors;
    const pairs: [string, string, Map<string, unknown>][] = [
      ['action_preds', 'processed.action_preds', golden],
      ['reward_preds', 'processed.reward_preds', golden],
      ['transformer_out', 'processed.transformer_out', golden],
      ...[...cache.keys()].map((k): [string, string, Map<string, unknown>] => [`cache.${k}`, k, cache]),
    ];
    for (const [mine, theirs, source] of pairs) {
      const a = got.get(mine);
      const e = (source as typeof golden).get(theirs);
      expect(a, mine).toBeDefined();
      expect(e, `golden ${theirs}`).toBeDefined();
      expect(a!.shape, mine).toEqual(e!.shape);
      expectClose(toFloat32(a!), toFloat32(e!), 1e-5, { label: mine });
    }
  });

  it('info --json reports the config of the golden config.json', () => {
    const r = runCli(['info', '--json', sharedPath('models/ReproduceOriginalPostShort.pt')]);
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    const golden = readSharedJson<{
      hooked_transformer_config: { raw: Record<string, unknown> };
      state_dict_shapes: { raw: Record<string, number[]> };
    }>('golden/ReproduceOriginalPostShort/config.json');
    const htc = golden.hooked_transformer_config.raw;
    expect(info.model.nLayers).toBe(htc.n_layers);
    expect(info.model.nHeads).toBe(htc.n_heads);
    expect(info.model.nCtx).toBe(htc.n_ctx);
    expect(info.nActions).toBe(3);
    // Parameters: every state-dict entry except the attention mask and IGNORE buffers.
    const expected = Object.entries(golden.state_dict_shapes.raw)
      .filter(([k]) => !/attn\.(mask|IGNORE)$/.test(k))
      .reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
    expect(info.parameters).toBe(expected);
    expect(info.hookNames).toContain('blocks.0.attn.hook_pattern');
    expect(info.hookNames).not.toContain('ln_final.hook_scale');
  });
});
