/**
 * Scan benchmarks on MemoryGatedMLP (pairA clean window, 26 tokens): the RTG scan of 128 values with the
 * full decomposition (three levels, 523 neuron components) against the bare batch-128 forward with the
 * same cache, per GEMM backend, with ratios measured in this run. Target <= 30 ms in Node
 * (TransformerLens + PyTorch: 87-102 ms). Cache characterisation (norms, kurtosis vs 8 rotations) and
 * head types over 1,000 windows of MemoryGatedMLP's own epsilon-greedy rollouts: target <= 2 s.
 * Models are built per backend as the CLI builds them (GEMM backend and, for ort and auto, ORT's fused core).
 * Needs ../shared (skipped with a reason otherwise).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kurtosisScan, residualNorms } from '../src/analysis/scans/cacheStats.ts';
import { headTypes } from '../src/analysis/scans/headTypes.ts';
import { rtgScan } from '../src/analysis/scans/rtgScan.ts';
import { windowsFromRollouts } from '../src/analysis/scans/windowDataset.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { inputsFromTensors, repeatWindow } from '../src/model/inputs.ts';
import { createModel } from '../src/model/load.ts';
import { nodeFusedCore, nodeGemm } from '../src/node/gemm.ts';
import { printTable } from './harness.ts';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));

/** Median of `samples` timed calls (ms) after two warm-up calls. */
async function medianMs(fn: () => Promise<unknown> | unknown, samples = 9): Promise<number> {
  await fn();
  await fn();
  const t: number[] = [];
  for (let i = 0; i < samples; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[Math.floor(samples / 2)];
}

export default async function scansBench(): Promise<void> {
  const modelPath = `${SHARED}models/MemoryGatedMLP.pt`;
  const pairPath = `${SHARED}golden/scans/MemoryGatedMLP/pairA_raw.safetensors`;
  if (!existsSync(modelPath) || !existsSync(pairPath)) {
    console.log(`skipped: ${SHARED} has no MemoryGatedMLP model or golden pair`);
    return;
  }
  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(modelPath)));
  const window = inputsFromTensors(readSafetensors(new Uint8Array(readFileSync(pairPath))).tensors, 'clean.');
  const rows: string[][] = [];
  for (const backend of ['wasm', 'ort', 'auto'] as const) {
    const model = createModel(ckpt, { gemm: nodeGemm(backend), fusedCore: nodeFusedCore(backend) });
    const batch = repeatWindow(window, 128);
    const cache = (n: string) => /hook_(embed|pos_embed|attn_out|mlp_out|z|post|scale)$/.test(n);
    const forward = await medianMs(() => model.run(batch, { cache }));
    const scan = await medianMs(() => rtgScan(model, window, { n: 128 }));
    const reduced = await medianMs(() => rtgScan(model, window, { n: 128, levels: ['layers'] }));
    rows.push([
      backend,
      forward.toFixed(1),
      scan.toFixed(1),
      reduced.toFixed(1),
      (scan / forward).toFixed(2),
    ]);
  }
  printTable(
    [
      'backend',
      'forward 128 + cache (ms)',
      'RTG scan, 3 levels (ms)',
      'RTG scan, layers only (ms)',
      'scan / forward',
    ],
    rows,
  );
  console.log('target: RTG scan of 128 with the full decomposition <= 30 ms (TL + PyTorch: 87-102 ms)');

  const model = createModel(ckpt, { gemm: nodeGemm('auto'), fusedCore: nodeFusedCore('auto') });
  const ds = await windowsFromRollouts(model, {
    env: ckpt.env,
    seed: 0,
    episodes: 100,
    rtgs: [0, 0.9],
    epsilon: 0.3,
    maxEpisodeSteps: 30,
  });
  const N = ds.inputs.states.shape[0];
  const per1000 = (ms: number) => ((ms * 1000) / N).toFixed(0);
  const norms = await medianMs(() => residualNorms(model, ds), 3);
  const kurtosis = await medianMs(() => kurtosisScan(model, ds), 3);
  const heads = await medianMs(() => headTypes(model, ds), 3);
  console.log('');
  printTable(
    ['dataset analysis (auto backend)', `ms for ${N} windows`, 'ms per 1,000 windows'],
    [
      ['norms (states + components)', norms.toFixed(0), per1000(norms)],
      ['kurtosis (12 hooks, 8 rotations)', kurtosis.toFixed(0), per1000(kurtosis)],
      ['cache characterisation (both)', (norms + kurtosis).toFixed(0), per1000(norms + kurtosis)],
      ['head types', heads.toFixed(0), per1000(heads)],
    ],
  );
  console.log('target: cache characterisation over 1,000 windows <= 2 s');
}
