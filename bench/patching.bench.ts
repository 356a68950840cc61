/**
 * DTI's full activation-patching sweep on MemoryGatedMLP (block_every + attn_head_all_pos_every +
 * attn_head_by_pos_every = 1,236 patched forwards, denoise, logit-difference metric) on golden pairA:
 * dtlens's batched, chunked sweep with prefix reuse vs a loop of batch-1 hooked runs (TransformerLens's
 * approach: one full forward per patch), measured in this one run, for the `auto` and `wasm` backends.
 * Also prints the peak RSS above the loaded model during the sweep. Target: <= 0.35 s in Node
 * (TransformerLens + PyTorch: 3.3-3.5 s on these machines). Falls back to a random model and random
 * windows of the same shape without ../shared.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { interventionHooks } from '../src/analysis/causal/apply.ts';
import { activationPatching, patchPair, patchSweepRows } from '../src/analysis/causal/patching.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import type { DecisionTransformer, DTInputs } from '../src/model/decisionTransformer.ts';
import { inputsFromTensors } from '../src/model/inputs.ts';
import { createModel } from '../src/model/load.ts';
import { nodeFusedCore, nodeGemm } from '../src/node/gemm.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { MEMORY_GATED_MLP_ARCH, randomInputs, randomModel } from '../test/support/randomModel.ts';
import { compareMs, printTable } from './harness.ts';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const MODEL_PATH = `${SHARED}models/MemoryGatedMLP.pt`;
const PAIR_PATH = `${SHARED}golden/analysis/MemoryGatedMLP/pairA_raw.safetensors`;
const SWEEPS = [
  { kind: 'block_every' },
  { kind: 'head_all_pos_every' },
  { kind: 'head_by_pos_every' },
] as const;

function setup(backend: 'auto' | 'wasm'): {
  model: DecisionTransformer;
  clean: DTInputs;
  corrupted: DTInputs;
} {
  const gemm = nodeGemm(backend);
  if (existsSync(MODEL_PATH) && existsSync(PAIR_PATH)) {
    const model = createModel(loadCheckpoint(new Uint8Array(readFileSync(MODEL_PATH))), {
      gemm,
      fusedCore: nodeFusedCore(backend),
    });
    const g = readSafetensors(new Uint8Array(readFileSync(PAIR_PATH))).tensors;
    return { model, clean: inputsFromTensors(g, 'clean.'), corrupted: inputsFromTensors(g, 'corrupted.') };
  }
  const arch = MEMORY_GATED_MLP_ARCH;
  const model = randomModel(arch, { gemm });
  return { model, clean: randomInputs(arch, 1, 9, 1), corrupted: randomInputs(arch, 1, 9, 2) };
}

export default async function run(): Promise<void> {
  console.log(existsSync(MODEL_PATH) ? `model: ${MODEL_PATH}, pairA` : 'model: random (../shared absent)');
  const rows: string[][] = [];
  for (const backend of ['auto', 'wasm'] as const) {
    const { model, clean, corrupted } = setup(backend);
    const pair = patchPair(model, clean, corrupted);
    const P = pair.tokenLabels.length;
    const sweepRows = SWEEPS.flatMap((s) => patchSweepRows(s, model.arch, pair.tokenLabels, 'clean').rows);
    const sources = { clean: pair.clean.cache!, corrupted: pair.corrupted.cache! };
    const batched = async () => void (await activationPatching(model, pair, 'denoise', SWEEPS));
    // TransformerLens's approach: one batch-1 hooked forward per patch.
    const loop = () => {
      for (const row of sweepRows)
        model.runFromTokens(pair.corruptedTokens, {
          hooks: interventionHooks([row], model.arch, P, sources),
        });
    };
    await batched();
    let batchedMs = Infinity;
    let peak = 0;
    const base = process.memoryUsage().rss;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - base)), 5);
      await batched();
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss - base);
      batchedMs = Math.min(batchedMs, performance.now() - t0);
    }
    // Load reference: as many plain (hook-free) windows as patched forwards, in batches of 256.
    const one = pair.cleanTokens.data;
    const plainTokens = new Tensor(
      new Float32Array(one.length * 256).map((_, i) => one[i % one.length]),
      [256, P, model.arch.dModel],
    );
    const plain = () => {
      for (let done = 0; done < sweepRows.length; done += 256) model.runFromTokens(plainTokens);
    };
    const [loopMs, plainMs] = compareMs([loop, plain], { sampleMs: 500, samples: 3 });
    rows.push([
      backend,
      String(sweepRows.length),
      (batchedMs / 1000).toFixed(3),
      (loopMs / 1000).toFixed(3),
      `${(loopMs / batchedMs).toFixed(1)}x`,
      (plainMs / 1000).toFixed(3),
      (batchedMs / plainMs).toFixed(2),
      (sweepRows.length / (batchedMs / 1000)).toFixed(0),
      (peak / 2 ** 20).toFixed(0),
    ]);
  }
  printTable(
    [
      'backend',
      'forwards',
      'batched sweep (s)',
      'batch-1 loop (s)',
      'speed-up',
      'plain windows (s)',
      'sweep / plain',
      'forwards/s',
      'peak RSS +MB',
    ],
    rows,
  );
  console.log(
    'target: batched sweep <= 0.35 s (TransformerLens + PyTorch: 3.3-3.5 s); peak < 300 MB above the model. ' +
      "'plain windows': as many hook-free windows as patched forwards, in batches of 256 (auto: ORT's fused " +
      'core), a reference for the machine load measured in the same run.',
  );
}
