/**
 * Parity of the fused ORT core (hook-free batches on the `ort` and `auto` backends) with the original
 * Python: every golden model and trajectory, raw and dti-compat weights, transformer output and every
 * prediction head, to 1e-5. Asserts that the fused core served every run (no silent TS fallback).
 */
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { inputsFromTensors } from '../../src/model/inputs.ts';
import { createModel } from '../../src/model/load.ts';
import type { WeightVariant } from '../../src/model/processing.ts';
import { OrtFusedCore } from '../../src/node/ortCore.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { countingCore } from '../support/countingCore.ts';
import { GOLDEN_MODELS, goldenModelDirs, goldenWindows, headsLabel, headsLabels } from '../support/golden.ts';
import { describeWithShared, readSharedJson, sharedAvailable, sharedPath } from '../support/shared.ts';

const TOLERANCE = 1e-5;
const table = new ErrorTable();
const ort = new OrtFusedCore();
const core = countingCore(ort);
afterAll(() => {
  ort.dispose();
  if (sharedAvailable)
    console.log(table.format('fused ORT core: worst |dtlens - python| / max(1, |python|)'));
});

/** Golden file variant names and the weight processing that reproduces them. */
const VARIANTS: [string, WeightVariant][] = [
  ['raw', 'raw'],
  ['processed', 'dti-compat'],
];

describeWithShared('fused ORT core parity with the original Python', () => {
  it(`serves every golden model and window within ${TOLERANCE}`, () => {
    expect(goldenModelDirs()).toEqual(Object.keys(GOLDEN_MODELS).sort());
    for (const [name, stored] of Object.entries(GOLDEN_MODELS)) {
      const config = readSharedJson<{ source: { path: string } }>('golden', name, 'config.json');
      const file = config.source.path.split('/').pop()!;
      const ckpt = loadCheckpoint(new Uint8Array(readFileSync(sharedPath('models', file))), file);
      const windows = goldenWindows(name);
      expect(windows.length, name).toBe(8);
      /** "<file> <variant>: <heads>" per window compared, asserted against what the golden files hold. */
      const compared: string[] = [];
      for (const [golden, weights] of VARIANTS) {
        const model = createModel(ckpt, { weights, gemm: new TsGemm(), fusedCore: core });
        for (const f of windows) {
          const g = readSafetensors(new Uint8Array(readFileSync(sharedPath('golden', name, f)))).tensors;
          if (!g.has(`${golden}.transformer_out`)) continue;
          const heads = (['action', 'state', 'reward'] as const).filter((h) => g.has(`${golden}.${h}_preds`));
          const before = core.served;
          const res = model.run(inputsFromTensors(g), { heads });
          expect(core.served, `${name} ${f}: the fused core ran`).toBe(before + 1);
          const outputs = {
            transformer_out: res.transformerOut,
            action_preds: res.actionPreds,
            state_preds: res.statePreds,
            reward_preds: res.rewardPreds,
          };
          for (const [what, actual] of Object.entries(outputs)) {
            const expected = g.get(`${golden}.${what}`);
            if (!expected) continue;
            expect(actual!.shape).toEqual(expected.shape);
            const d = discrepancy(actual!.data, toFloat32(expected));
            table.record(`${name} ${golden}`, `${f} ${what}`, d);
            expect(d.worst, `${name} ${golden} ${f} ${what}`).toBeLessThanOrEqual(TOLERANCE);
          }
          compared.push(`${f} ${headsLabel(golden, heads)}`);
        }
      }
      expect(compared.sort(), name).toEqual(
        windows.flatMap((f) => headsLabels(stored).map((label) => `${f} ${label}`)).sort(),
      );
    }
  });
});
