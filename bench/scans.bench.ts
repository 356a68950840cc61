/**
 * Scan benchmarks on MemoryGatedMLP (pairA clean window, 26 tokens): the RTG scan of 128 values with the
 * full decomposition (three levels, 523 neuron components) against the bare batch-128 forward with the
 * same cache, per GEMM backend, with ratios measured in this run. Target <= 30 ms in Node
 * (TransformerLens + PyTorch: 87-102 ms). Needs ../shared (skipped with a reason otherwise).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rtgScan } from '../src/analysis/scans/rtgScan.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { inputsFromTensors, repeatWindow } from '../src/model/inputs.ts';
import { createModel } from '../src/model/load.ts';
import { nodeGemm } from '../src/node/gemm.ts';
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
    const model = createModel(ckpt, { gemm: nodeGemm(backend) });
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
}
