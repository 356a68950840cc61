/**
 * Parity of activation patching with the original Python (TransformerLens 1.2.2 `patching` and DTI's
 * patched copy) on the golden MemoryGatedMLP pairs: every `patch.*` tensor of pairA and pairC, noise and
 * denoise, TL and DTI names, raw weights and dti-compat (the golden "processed" app weights). The scores
 * are ratios whose denominators can be small, so the tolerance is absolute (1e-4). The raw logit
 * differences of the clean and corrupted runs are compared relatively (1e-5).
 */
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { PATCH_MODES, patchPair } from '../../src/analysis/causal/patching.ts';
import { patchingSuite } from '../../src/analysis/causal/patchingSuite.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { inputsFromTensors } from '../../src/model/inputs.ts';
import { createModel } from '../../src/model/load.ts';
import { nodeGemm } from '../../src/node/gemm.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

const ABS_TOLERANCE = 1e-4;
const table = new ErrorTable();
const DIR = ['golden', 'analysis', 'MemoryGatedMLP'];

describeWithShared('activation patching: parity with TransformerLens 1.2.2 / DTI on MemoryGatedMLP', () => {
  afterAll(() => console.log(table.format('worst |dtlens - python| per golden patching tensor (absolute)')));
  const ckpt = loadCheckpoint(
    new Uint8Array(readFileSync(sharedPath('models', 'MemoryGatedMLP.pt'))),
    'MemoryGatedMLP.pt',
  );
  const variants = { raw: 'raw', processed: 'dti-compat' } as const;

  for (const pairName of ['pairA', 'pairC']) {
    for (const [golden, weights] of Object.entries(variants)) {
      it(`${pairName} ${golden} (${weights} weights): every patch.* tensor, noise and denoise`, async () => {
        const model = createModel(ckpt, { weights, gemm: nodeGemm('wasm') });
        const g = readSafetensors(
          new Uint8Array(readFileSync(sharedPath(...DIR, `${pairName}_${golden}.safetensors`))),
        ).tensors;
        const pair = patchPair(model, inputsFromTensors(g, 'clean.'), inputsFromTensors(g, 'corrupted.'));
        expect(pair.identical).toBe(false);
        const expected = [...g.keys()].filter((k) => k.startsWith('patch.'));
        expect(expected.length).toBe(26);
        const seen: string[] = [];
        for (const mode of PATCH_MODES) {
          const named = await patchingSuite(model, pair, mode);
          for (const [name, r] of named) {
            const key = `patch.${mode}.${name}`;
            const want = g.get(key);
            expect(want, key).toBeDefined();
            expect(r.shape, key).toEqual(want!.shape);
            const wantData = toFloat32(want!);
            let worst = 0;
            r.score.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - wantData[i]))));
            table.record(`${pairName} ${golden}`, key, { worst, maxAbs: worst, index: -1 });
            expect(worst, key).toBeLessThanOrEqual(ABS_TOLERANCE);
            seen.push(key);
            // Raw logit differences beside the scores: the unpatched runs' match the golden ones.
            expect(discrepancy([r.clean], toFloat32(g.get('clean.logit_dif')!)).worst).toBeLessThan(1e-5);
            expect(discrepancy([r.corrupted], toFloat32(g.get('corrupted.logit_dif')!)).worst).toBeLessThan(
              1e-5,
            );
          }
        }
        expect(seen.sort()).toEqual(expected.sort());
      });
    }
  }
});
