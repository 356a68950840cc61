import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { WasmGemm } from '../../../src/tensor/wasmGemm.ts';
import { evaluateAtRtgs } from '../../../src/train/rollout.ts';

/**
 * The committed default models (models/*.safetensors; the gitignored `*.resume.safetensors` training
 * states are not models) and the calibration files written next to them.
 */
const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));
const modelFiles = readdirSync(MODELS_DIR).filter(
  (f) => f.endsWith('.safetensors') && !f.endsWith('.resume.safetensors'),
);

interface CalibrationFile {
  envId: string;
  seed: number;
  episodes: number;
  results: Array<{ targetRtg: number; successRate: number; meanReturn: number }>;
}

/**
 * The README's claims ("Default models"), as literals: success rate per target RTG, over the calibration
 * episodes (100, seeds 1000000 + i), at the ends of each claimed range and RTG 0.9. Changing a default
 * model means checking these against the README.
 */
const README_CLAIMS: Record<string, { rtgs: number[]; successRate: number }[]> = {
  // "succeeds in 100% of episodes at target RTG 0.6 to 1 and in 0% at RTG 0 to 0.3"
  'MiniGrid-MemoryS7FixedStart-v0': [
    { rtgs: [0.6, 0.9, 1], successRate: 1 },
    { rtgs: [0, 0.3], successRate: 0 },
  ],
  // "succeeds in 100% of episodes at RTG 1"
  'MiniGrid-Dynamic-Obstacles-8x8-v0': [{ rtgs: [1], successRate: 1 }],
};

const load = (file: string) => {
  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(MODELS_DIR + file)));
  const stem = file.replace(/\.safetensors$/, '');
  const calibration: CalibrationFile = JSON.parse(
    readFileSync(`${MODELS_DIR}${stem}.calibration.json`, 'utf8'),
  );
  return { ckpt, stem, calibration, model: createModel(ckpt, { weights: 'raw', gemm: new WasmGemm() }) };
};

describe('default models', () => {
  it('are exactly the models the README describes, including the MemoryS7 model `npm start` opens', () => {
    expect(modelFiles.sort()).toEqual(
      Object.keys(README_CLAIMS)
        .map((id) => `${id}.safetensors`)
        .sort(),
    );
    expect(modelFiles).toContain('MiniGrid-MemoryS7FixedStart-v0.safetensors');
  });

  it.each(modelFiles)(
    '%s reproduces its committed calibration at the lowest and highest target RTG',
    (file) => {
      const { ckpt, stem, calibration, model } = load(file);
      const record = JSON.parse(readFileSync(`${MODELS_DIR}${stem}.training.json`, 'utf8'));
      expect(calibration.envId).toBe(ckpt.env.envId);
      expect(record.config.model).toEqual(ckpt.model);
      expect(ckpt.offline).toEqual(record);
      const ends = [calibration.results[0], calibration.results.at(-1)!];
      const results = evaluateAtRtgs(
        model,
        ends.map((r) => r.targetRtg),
        { env: ckpt.env, episodes: calibration.episodes, seed: calibration.seed, maxEpisodeSteps: 100 },
      );
      results.forEach((r, i) => {
        expect(r.successRate).toBe(ends[i].successRate);
        expect(r.meanReturn).toBeCloseTo(ends[i].meanReturn, 6);
      });
    },
  );

  it.each(Object.entries(README_CLAIMS))(
    '%s keeps the README claims',
    (envId, claims) => {
      const { ckpt, calibration, model } = load(`${envId}.safetensors`);
      expect(ckpt.env.envId).toBe(envId);
      expect([calibration.episodes, calibration.seed]).toEqual([100, 1000000]);
      for (const { rtgs, successRate } of claims) {
        const results = evaluateAtRtgs(model, rtgs, {
          env: ckpt.env,
          episodes: 100,
          seed: 1000000,
          maxEpisodeSteps: 100,
        });
        expect(results.map((r) => [r.targetRtg, r.successRate])).toEqual(
          rtgs.map((rtg) => [rtg, successRate]),
        );
      }
    },
    120_000,
  );
});
