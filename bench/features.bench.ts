/**
 * Features layer speed on the default MemoryS7 model (budgets of issue 16):
 * - probe sweep over every vector hook point of 10,000 windows (<= 10 s): activation collection
 *   (one cached last-position forward pass per chunk, on ORT's fused core) and the closed-form LDA fits (probe, 5 shuffled-label
 *   controls, sparse probe, random-direction control for 11 labels) timed separately, GEMM on ORT; wall
 *   seconds and this process's CPU seconds (the machine is shared: CPU time is the steadier figure);
 * - closed-loop steering along a probe direction: 7 conditions (none, steer / random / flipped at two
 *   coefficients) × 100 seeds, at most 100 steps per episode (a stalled agent would play to the env cap);
 * - sparse autoencoder training on 100,000 activations of width 128 with 1,024 latents (<= 60 s).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectActivations, vectorHooks } from '../src/analysis/features/activations.ts';
import { episodeSplit, fitProbes, planProbes } from '../src/analysis/features/probe.ts';
import { buildProbeSet } from '../src/analysis/features/probeSet.ts';
import {
  featureRollouts,
  probeSteeringVector,
  steeringExperiment,
} from '../src/analysis/features/featureRollouts.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { createModel } from '../src/model/load.ts';
import { nodeFusedCore, nodeGemm } from '../src/node/gemm.ts';
import { collectDemonstrations } from '../src/train/collect.ts';
import { initSae, startTraining, trainSae } from '../src/analysis/features/sae.ts';
import { saeStatistics } from '../src/analysis/features/saeMetrics.ts';
import { printTable } from './harness.ts';

const MODEL = resolve('models/MiniGrid-MemoryS7FixedStart-v0.safetensors');

export default async function run(): Promise<void> {
  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(MODEL)));
  // As the CLI builds it (`--backend auto`): GEMM on ORT and ORT's fused core for cached runs.
  const model = createModel(ckpt, { gemm: nodeGemm('auto'), fusedCore: nodeFusedCore('auto') });
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
  const collect = await timed(() => collectActivations(model, set, hooks, 'S'));
  const tables = collect.value;
  const fit = await timed(async () => {
    const plan = planProbes(set.labels, episodeSplit(set.episode, 0.2, 0));
    return tables.map((table) => fitProbes(model.gemm, table, plan));
  });
  const row = (name: string, labels: string, wall: number, cpu: number, budget: string) => [
    name,
    String(set.n),
    String(hooks.length),
    labels,
    wall.toFixed(2),
    cpu.toFixed(2),
    budget,
  ];
  const L = String(set.labels.length);
  printTable(
    ['probe sweep (MemoryS7, token S)', 'windows', 'hook points', 'labels', 'wall s', 'CPU s', 'budget'],
    [
      row('collect activations', '-', collect.wall, collect.cpu, '-'),
      row('fit probes + controls', L, fit.wall, fit.cpu, '-'),
      row('total', L, collect.wall + fit.wall, collect.cpu + fit.cpu, '10'),
    ],
  );
  const resid = hooks.indexOf('blocks.1.hook_resid_mid');
  const probe = fit.value[resid].directions.find((d) => d.label === 'instruction')!;
  const experiment = steeringExperiment(model, probeSteeringVector(model, probe, 'key', 'S'), [2, 4]);
  const loop = await timed(() =>
    featureRollouts(model, experiment, {
      env: ckpt.env,
      episodes: 100,
      seed: 0,
      targetRtg: 0.9,
      maxEpisodeSteps: 100,
    }),
  );
  printTable(
    ['closed-loop probe steering', 'conditions', 'seeds', 'wall s', 'CPU s'],
    [['instruction=key at blocks.1.hook_resid_mid', '7', '100', loop.wall.toFixed(2), loop.cpu.toFixed(2)]],
  );
  await saeBench(model.gemm, tables[hooks.indexOf('blocks.0.hook_resid_post')].data);
}

/** Wall and process CPU seconds of a job. */
async function timed<T>(job: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = await job();
  const u = process.cpuUsage(c);
  return { value, wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
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
