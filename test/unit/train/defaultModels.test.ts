import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { createModel } from '../../../src/model/load.ts';
import { WasmGemm } from '../../../src/tensor/wasmGemm.ts';
import { evaluateAtRtgs } from '../../../src/train/rollout.ts';

/** The committed default models (models/*.safetensors) and the calibration files written next to them. */
const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));
const modelFiles = readdirSync(MODELS_DIR).filter((f) => f.endsWith('.safetensors'));

interface CalibrationFile {
  envId: string;
  seed: number;
  episodes: number;
  results: Array<{ targetRtg: number; successRate: number; meanReturn: number }>;
}

describe('default models', () => {
  it('include the MemoryS7 model `npm start` opens', () => {
    expect(modelFiles).toContain('MiniGrid-MemoryS7FixedStart-v0.safetensors');
  });

  it.each(modelFiles)(
    '%s reproduces its committed calibration at the lowest and highest target RTG',
    (file) => {
      const ckpt = loadCheckpoint(new Uint8Array(readFileSync(MODELS_DIR + file)));
      const stem = file.replace(/\.safetensors$/, '');
      const calibration: CalibrationFile = JSON.parse(
        readFileSync(`${MODELS_DIR}${stem}.calibration.json`, 'utf8'),
      );
      const record = JSON.parse(readFileSync(`${MODELS_DIR}${stem}.training.json`, 'utf8'));
      expect(calibration.envId).toBe(ckpt.env.envId);
      expect(record.config.model).toEqual(ckpt.model);
      expect(ckpt.offline).toEqual(record);
      const ends = [calibration.results[0], calibration.results.at(-1)!];
      const model = createModel(ckpt, { weights: 'raw', gemm: new WasmGemm() });
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
});
