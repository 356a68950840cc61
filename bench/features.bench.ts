/**
 * Features layer speed on the default MemoryS7 model (budgets of issue 16):
 * - probe sweep over every vector hook point of 10,000 windows (<= 10 s): activation collection
 *   (one cached forward pass per chunk) and the probe fits (probe + shuffled control + sparse probes +
 *   random-direction control for 11 labels) timed separately, GEMM on ORT;
 * - sparse autoencoder training on 100,000 activations of width 128 with 1,024 latents (<= 60 s).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectActivations, vectorHooks } from '../src/analysis/features/activations.ts';
import { episodeSplit, fitProbes } from '../src/analysis/features/probe.ts';
import { buildProbeSet } from '../src/analysis/features/probeSet.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { createModel } from '../src/model/load.ts';
import { nodeGemm } from '../src/node/gemm.ts';
import { collectDemonstrations } from '../src/train/collect.ts';
import { initSae, startTraining, trainSae } from '../src/analysis/features/sae.ts';
import { saeStatistics } from '../src/analysis/features/saeMetrics.ts';
import { printTable } from './harness.ts';

const MODEL = resolve('models/MiniGrid-MemoryS7FixedStart-v0.safetensors');

export default async function run(): Promise<void> {
  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(MODEL)));
  const model = createModel(ckpt, { gemm: nodeGemm('auto') });
  const dataset = collectDemonstrations({
    env: ckpt.env,
    episodes: 1400,
    policy: 'expert',
    epsilon: 0.2,
    wrongFraction: 0.5,
    randomFraction: 0,
    seed: 1,
  });
  const set = buildProbeSet(dataset, { maxLen: model.maxLen, maxWindows: 10_000 });
  const hooks = vectorHooks(model);
  let t = performance.now();
  const tables = await collectActivations(model, set, hooks, 'S');
  const collectS = (performance.now() - t) / 1000;
  const split = episodeSplit(set.episode, 0.2, 0);
  t = performance.now();
  for (const table of tables) fitProbes(model.gemm, table, set.labels, split);
  const fitS = (performance.now() - t) / 1000;
  printTable(
    ['probe sweep (MemoryS7, token S)', 'windows', 'hook points', 'labels', 'seconds', 'budget'],
    [
      ['collect activations', String(set.n), String(hooks.length), '-', collectS.toFixed(2), '-'],
      [
        'fit probes + controls',
        String(set.n),
        String(hooks.length),
        String(set.labels.length),
        fitS.toFixed(2),
        '-',
      ],
      [
        'total',
        String(set.n),
        String(hooks.length),
        String(set.labels.length),
        (collectS + fitS).toFixed(2),
        '10',
      ],
    ],
  );
  await saeBench(model.gemm, tables[hooks.indexOf('blocks.0.hook_resid_post')].data);
}

/**
 * SAE training on 100,000 activations of width 128 (the probe set's blocks.0.hook_resid_post rows
 * tiled to 100,000 with a small deterministic perturbation), 1,024 latents (TopK k = 16, or ReLU + L1),
 * batch 1,024, 300 steps (about three passes), then the metrics.
 */
async function saeBench(gemm: Parameters<typeof trainSae>[0], acts: Float32Array): Promise<void> {
  const d = 128;
  const N = 100_000;
  const x = new Float32Array(N * d);
  for (let i = 0; i < x.length; i++) x[i] = acts[i % acts.length] * (1 + 0.01 * Math.sin(i));
  const rows: string[][] = [];
  for (const kind of ['topk', 'relu'] as const) {
    const sae = initSae({ kind, dIn: d, dOut: d, latents: 1024, k: 16, l1: 0.01 }, 0);
    const t = performance.now();
    await trainSae(gemm, startTraining(sae), x, undefined, { steps: 300, batchSize: 1024 });
    const s = (performance.now() - t) / 1000;
    const stats = saeStatistics(gemm, sae, x);
    rows.push([
      kind,
      String(N),
      '1024',
      '300',
      s.toFixed(1),
      stats.explainedVariance.toFixed(3),
      stats.l0.toFixed(1),
      '60',
    ]);
  }
  printTable(['SAE training', 'rows', 'latents', 'steps', 'seconds', 'explained var', 'L0', 'budget'], rows);
}
