/**
 * Causal analysis II: path patching of the 8 heads of MemoryGatedMLP -> final residual (one batched
 * pass; target <= 10 ms, DTI + PyTorch 70 ms), every DTI path view, attribution patching of the
 * default sweeps (2 cached forwards + 1 backward) against real patching of the same sweeps, and
 * steered rollouts of the default MemoryS7 model (100 episodes x 8 coefficients, target <= 10 s).
 * Times are medians of interleaved samples measured in this one run (the machine is shared).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attributionPatching, compareWithPatching } from '../src/analysis/causal/attributionPatching.ts';
import { closedLoopRollouts } from '../src/analysis/causal/closedLoop.ts';
import { headSenders } from '../src/analysis/causal/pathNodes.ts';
import { finalResidual, pathPatch } from '../src/analysis/causal/pathPatch.ts';
import { dtiPathViews } from '../src/analysis/causal/pathViews.ts';
import { type PatchSweepRequest, activationPatching, patchPair } from '../src/analysis/causal/patching.ts';
import { meanDifferenceVector, steeringConditions } from '../src/analysis/causal/steeringVectors.ts';
import { labelledWindowsFromRollouts } from '../src/analysis/causal/windows.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { inputsFromTensors } from '../src/model/inputs.ts';
import { createModel } from '../src/model/load.ts';
import { nodeGemm } from '../src/node/gemm.ts';
import { printTable } from './harness.ts';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const S7 = fileURLToPath(new URL('../models/MiniGrid-MemoryS7FixedStart-v0.safetensors', import.meta.url));

/** Median wall time (ms) of each async function, samples interleaved. */
async function medianMs(fns: Array<() => Promise<unknown>>, samples = 7): Promise<number[]> {
  for (const f of fns) await f();
  const times: number[][] = fns.map(() => []);
  for (let s = 0; s < samples; s++)
    for (const [i, f] of fns.entries()) {
      const t = performance.now();
      await f();
      times[i].push(performance.now() - t);
    }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

export default async function run(): Promise<void> {
  const rows: string[][] = [];
  const modelPath = `${SHARED}models/MemoryGatedMLP.pt`;
  const pairPath = `${SHARED}golden/scans/MemoryGatedMLP/pairA_raw.safetensors`;
  if (existsSync(modelPath) && existsSync(pairPath)) {
    const model = createModel(loadCheckpoint(new Uint8Array(readFileSync(modelPath))), {
      gemm: nodeGemm('auto'),
    });
    const t = readSafetensors(new Uint8Array(readFileSync(pairPath))).tensors;
    const pair = patchPair(model, inputsFromTensors(t, 'clean.'), inputsFromTensors(t, 'corrupted.'));
    const heads = headSenders(model.arch).nodes;
    const sweeps: PatchSweepRequest[] = [
      { kind: 'block_every' },
      { kind: 'head_all_pos_every' },
      { kind: 'head_out_by_pos' },
      { kind: 'mlp_neurons', layer: 0 },
      { kind: 'mlp_neurons', layer: 1 },
    ];
    const [path8, views, attr, real] = await medianMs([
      () => pathPatch(model, pair, heads, [finalResidual(model.arch)]),
      () => dtiPathViews(model, pair),
      async () => attributionPatching(model, pair, 'noise', sweeps),
      () => activationPatching(model, pair, 'noise', sweeps),
    ]);
    const nReal = 3 * 2 * 26 + 5 * 8 + 8 * 26 + 2 * 256;
    const [cmp] = await compareWithPatching(
      model,
      pair,
      attributionPatching(model, pair, 'noise', [sweeps[0]]),
    );
    rows.push(
      ['path patching, 8 heads -> final residual (1 batched pass)', path8.toFixed(1), '<= 10 ms (DTI 70 ms)'],
      ['path patching, all six DTI views (11 batched passes)', views.toFixed(1), ''],
      [
        'attribution patching, 5 sweeps (2 forwards + 1 backward)',
        attr.toFixed(1),
        `${(real / attr).toFixed(1)}x faster`,
      ],
      [
        `real activation patching, same ${nReal} patched runs`,
        real.toFixed(1),
        `block_every r = ${cmp.correlation.toFixed(3)}`,
      ],
    );
  } else rows.push(['MemoryGatedMLP (../shared) not found: path/attribution rows skipped', '-', '']);

  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(S7)));
  const s7 = createModel(ckpt, { gemm: nodeGemm('auto') });
  // A real steering vector: mean(instruction key) − mean(ball) at blocks.1.hook_resid_pre over the
  // model's own windows (20 episodes), at 8 coefficients (the README finding's range).
  const windows = labelledWindowsFromRollouts(s7, {
    env: ckpt.env,
    seeds: [...Array(20).keys()].map((i) => 5000 + i),
    targetRtg: 0.9,
  });
  const instruction = (k: string) => (f: { instruction: string }) => f.instruction === k;
  const v = await meanDifferenceVector(
    s7,
    windows,
    'blocks.1.hook_resid_pre',
    instruction('key'),
    instruction('ball'),
  );
  const exp = steeringConditions(s7, v, [0.5, 1, 1.5, 2, 2.5, 3, 3.5], { controls: false });
  const options = {
    env: ckpt.env,
    episodes: 100,
    seed: 0,
    targetRtg: 0.9,
    maxEpisodeSteps: 100,
    sources: exp.sources,
  };
  const [steered] = await medianMs([() => closedLoopRollouts(s7, exp.conditions, options)], 1);
  rows.push([
    'steered rollouts, MemoryS7, 100 episodes x 8 conditions (none + 7 coefficients)',
    steered.toFixed(0),
    '<= 10,000 ms',
  ]);
  printTable(['causal analysis II', 'ms', 'target / ratio'], rows);
}
