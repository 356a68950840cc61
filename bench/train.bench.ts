/**
 * Training throughput (non-padded timesteps per second of forward + backward + AdamW) for the default
 * models' shapes, ts vs onnxruntime GEMM, on collected demonstrations:
 * - MemoryS7: 2 layers, 4 heads, d_model 128, gated MLP 256, n_ctx 26, one-hot obs, batch 32;
 * - Dynamic-Obstacles: 1 layer, 2 heads, d_model 128, MLP 256, n_ctx 2, index obs, batch 128.
 * Each backend trains the same model from the same seed; updates are timed interleaved. Per backend:
 * the median update time and the median over samples of timesteps per second (each sample's timesteps
 * over that sample's time), with the ort/ts ratio of the latter, all measured in this run.
 */
import { DEFAULT_ENV_CONFIG, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../src/config/config.ts';
import { type GemmBackend, nodeGemm } from '../src/node/gemm.ts';
import { collectDemonstrations } from '../src/train/collect.ts';
import { Trainer } from '../src/train/trainer.ts';
import { compareThroughput, printTable } from './harness.ts';

interface Case {
  label: string;
  envId: string;
  oneHot: boolean;
  model: Partial<ModelConfig>;
  batchSize: number;
}

const CASES: Case[] = [
  {
    label: 'MemoryS7 (2L, n_ctx 26, gated)',
    envId: 'MiniGrid-MemoryS7FixedStart-v0',
    oneHot: true,
    model: { nCtx: 26, layerNorm: 'LN', gatedMlp: true },
    batchSize: 32,
  },
  {
    label: 'Dynamic-Obstacles (1L, n_ctx 2)',
    envId: 'MiniGrid-Dynamic-Obstacles-8x8-v0',
    oneHot: false,
    model: { nHeads: 2, dHead: 64, nLayers: 1, nCtx: 2 },
    batchSize: 128,
  },
];

const BACKENDS: GemmBackend[] = ['ts', 'ort'];

export default function run(): void {
  const rows: string[][] = [];
  for (const c of CASES) {
    const dataset = collectDemonstrations({
      env: { ...DEFAULT_ENV_CONFIG, envId: c.envId, oneHotObs: c.oneHot },
      episodes: 200,
      policy: 'mixed',
      epsilon: 0.1,
      wrongFraction: c.envId.includes('Memory') ? 0.5 : 0,
      randomFraction: 0,
      seed: 1,
    });
    const trainers = BACKENDS.map(
      (b) =>
        new Trainer(
          dataset,
          {
            model: { ...DEFAULT_MODEL_CONFIG, ...c.model },
            batchSize: c.batchSize,
            steps: 1_000_000,
            lr: 1e-3,
            lrEnd: 1e-6,
            weightDecay: 0.1,
            scheduler: 'ConstantWithWarmUp',
            warmUpSteps: 10,
            numCycles: 1,
            pctTraj: 1,
            probGoFromEnd: 0,
            seed: 1,
          },
          nodeGemm(b),
        ),
    );
    const m = compareThroughput(
      trainers.map((t) => () => t.trainStep().timesteps),
      { samples: 5, sampleMs: 200 },
    );
    rows.push([
      c.label,
      String(c.batchSize),
      ...m.map((r) => `${r.msPerCall.toFixed(0)} ms`),
      ...m.map((r) => r.perSecond.toFixed(0)),
      `${(m[1].perSecond / m[0].perSecond).toFixed(2)}x`,
    ]);
  }
  printTable(
    ['model', 'batch', 'ts update', 'ort update', 'ts timesteps/s', 'ort timesteps/s', 'ort speed-up'],
    rows,
  );
}
