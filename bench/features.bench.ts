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
}
