/**
 * Time to compute the weights-only analyses of MemoryGatedMLP (dti-compat weights, the app's Weights
 * panels): each analysis alone and everything `dtlens static` writes, plus the thin-factor composition
 * scores against DTI's route (explicit d×d W_OV / W_QK products), as ratios measured in one run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  compositionScores,
  fullOV,
  headSvd,
  metaComposition,
  mlpComposition,
  ovCircuit,
  qkCircuit,
  stateVocabulary,
  staticResults,
} from '../src/analysis/static/index.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { createModel } from '../src/model/load.ts';
import { nodeGemm } from '../src/node/gemm.ts';
import { WasmGemm } from '../src/tensor/wasmGemm.ts';
import { defaultParams } from '../src/session/params.ts';
import { WEIGHTS_PANELS } from '../src/session/panels/weights.ts';
import { compareMs, printTable } from './harness.ts';

export default function bench(): void {
  const file = resolve(import.meta.dirname, '../../shared/models/MemoryGatedMLP.pt');
  if (!existsSync(file)) {
    console.log(`skipped: ${file} not found`);
    return;
  }
  const m = createModel(loadCheckpoint(new Uint8Array(readFileSync(file)), 'MemoryGatedMLP.pt'), {
    weights: 'dti-compat',
    gemm: nodeGemm('auto'),
  });
  const cases: [string, () => unknown][] = [
    ['composition scores + baseline (100 samples)', () => compositionScores(m)],
    ['composition scores, no baseline', () => compositionScores(m, { baselineSamples: 2 })],
    ['explicit W_OV and W_QK [L,H,d,d] (DTI route)', () => [ovCircuit(m), qkCircuit(m)]],
    ['meta-composition (32 samples)', () => metaComposition(m)],
    ['MLP composition, layer 0', () => mlpComposition(m, 0)],
    ['full OV state -> action', () => fullOV(m, stateVocabulary(m))],
    ['head SVD OV (thin)', () => headSvd(m, 'OV')],
    ['everything (dtlens static)', () => staticResults(m)],
  ];
  weightsPanelsOpening(file);
  const ms = compareMs(
    cases.map(
      ([, f]) =>
        () =>
          void f(),
    ),
    { samples: 3, sampleMs: 10 },
  );
  const total = ms[ms.length - 1];
  printTable(
    ['MemoryGatedMLP (dti-compat)', 'ms', 'share of everything'],
    cases.map(([label], i) => [label, ms[i].toFixed(1), `${((100 * ms[i]) / total).toFixed(1)}%`]),
  );
}

/**
 * First opening of each Weights panel with default settings, as the app's worker does it (wasm GEMM,
 * a fresh model so nothing is memoised), and re-drawing after a view-only change (memoised).
 */
function weightsPanelsOpening(file: string): void {
  const ckpt = loadCheckpoint(new Uint8Array(readFileSync(file)), 'MemoryGatedMLP.pt');
  const gemm = new WasmGemm();
  const rows: string[][] = [];
  for (const panel of WEIGHTS_PANELS) {
    const model = createModel(ckpt, { weights: 'dti-compat', gemm });
    const params = defaultParams(panel.params);
    let start = performance.now();
    panel.compute(model, params);
    const first = performance.now() - start;
    start = performance.now();
    panel.compute(model, { ...params, figure: params.figure });
    rows.push([panel.id, first.toFixed(0), (performance.now() - start).toFixed(1)]);
  }
  printTable(['Weights panel (wasm, defaults)', 'first open ms', 'again ms'], rows);
}
