/**
 * Forward parity of the WebAssembly SIMD GEMM (the browser worker's kernel) with the original Python:
 * MemoryGatedMLP, raw weights, action_preds of every golden window and the full activation cache, to 1e-5.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { type RawTensor, toFloat32 } from '../../src/io/rawTensor.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { inputsFromTensors } from '../../src/model/inputs.ts';
import { createModel } from '../../src/model/load.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { WasmGemm } from '../../src/tensor/wasmGemm.ts';
import { discrepancy } from '../support/compare.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

const TOLERANCE = 1e-5;
const NAME = 'MemoryGatedMLP';

const readGolden = (file: string) =>
  readSafetensors(new Uint8Array(readFileSync(sharedPath('golden', NAME, file)))).tensors;

/** Returns the worst error after asserting it is within tolerance. */
function compare(what: string, actual: Tensor | undefined, expected: RawTensor | undefined): number {
  expect(actual, what).toBeDefined();
  expect(expected, `golden ${what}`).toBeDefined();
  expect(actual!.shape, what).toEqual(expected!.shape);
  const d = discrepancy(actual!.data, toFloat32(expected!));
  expect(d.worst, `${what} (worst at flat index ${d.index})`).toBeLessThanOrEqual(TOLERANCE);
  return d.worst;
}

describeWithShared('forward parity with WasmGemm', () => {
  it(`${NAME} raw: action_preds of every golden window and the full cache, to ${TOLERANCE}`, () => {
    const ckpt = loadCheckpoint(
      new Uint8Array(readFileSync(sharedPath('models', `${NAME}.pt`))),
      `${NAME}.pt`,
    );
    const model = createModel(ckpt, { weights: 'raw', gemm: new WasmGemm() });
    let worst = 0;
    const windows = readdirSync(sharedPath('golden', NAME)).filter((f) =>
      /^traj\d+_seed\d+\.safetensors$/.test(f),
    );
    expect(windows.length).toBeGreaterThan(0);
    for (const f of windows) {
      const golden = readGolden(f);
      const res = model.run(inputsFromTensors(golden), { heads: ['action'] });
      worst = Math.max(worst, compare(`${f} action_preds`, res.actionPreds, golden.get('raw.action_preds')));
    }
    const expected = readGolden('cache_raw_traj0_seed0.safetensors');
    const { cache } = model.run(inputsFromTensors(readGolden('traj0_seed0.safetensors')), { cache: true });
    expect(cache!.names.sort()).toEqual([...expected.keys()].sort());
    for (const [hook, t] of expected) worst = Math.max(worst, compare(`cache ${hook}`, cache!.get(hook), t));
    console.log(
      `${NAME} raw with WasmGemm: worst |dtlens - python| / max(1, |python|) = ${worst.toExponential(2)}`,
    );
  });
});
