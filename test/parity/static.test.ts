/**
 * Parity of the static (weights-only) analyses with the original Python (TransformerLens 1.2.2 + DTI)
 * on MemoryGatedMLP: every tensor of `static_raw` (raw weights) and `static_processed` (DTI's app
 * weights = dti-compat) is compared at 1e-5 (relative, absolute near zero); singular values sorted.
 */
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { staticTensors } from '../../src/analysis/static/staticTensors.ts';
import { stateVocabulary } from '../../src/analysis/static/vocabularies.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { createModel } from '../../src/model/load.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

const TOLERANCE = 1e-5;
const DIR = ['golden', 'analysis', 'MemoryGatedMLP'];
const table = new ErrorTable();

interface Manifest {
  static: Record<
    string,
    { file: string; labels: Record<string, string[]>; tensors: Record<string, { shape: number[] }> }
  >;
}

/** Sorts the last axis descending (singular values: order of equal/zero values is arbitrary). */
function sortedLastAxis(data: Float32Array, n: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += n)
    out.set(
      [...data.subarray(i, i + n)].sort((a, b) => b - a),
      i,
    );
  return out;
}

describeWithShared('static analyses: parity with TransformerLens 1.2.2 / DTI on MemoryGatedMLP', () => {
  afterAll(() =>
    console.log(table.format('worst |dtlens - python| / max(1, |python|) per golden static tensor')),
  );
  const manifest = readSharedJson<Manifest>(...DIR, 'manifest.json');
  const ckpt = loadCheckpoint(
    new Uint8Array(readFileSync(sharedPath('models', 'MemoryGatedMLP.pt'))),
    'MemoryGatedMLP.pt',
  );

  for (const [golden, weights] of [
    ['raw', 'raw'],
    ['processed', 'dti-compat'],
  ] as const) {
    it(`static_${golden} (${weights} weights): every tensor`, () => {
      const spec = manifest.static[golden];
      const gold = readSafetensors(new Uint8Array(readFileSync(sharedPath(...DIR, spec.file)))).tensors;
      const model = createModel(ckpt, { weights, gemm: new TsGemm() });
      expect(stateVocabulary(model).labels).toEqual(spec.labels.state_embedding_labels);
      const ours = staticTensors(model);
      expect(gold.size).toBeGreaterThan(10);
      for (const [name, g] of gold) {
        const t = ours[name];
        expect(t, `${name} is missing`).toBeDefined();
        expect([...t.shape], name).toEqual(g.shape);
        const sv = name.endsWith('.S');
        const n = g.shape[g.shape.length - 1];
        const actual = sv ? sortedLastAxis(t.data, n) : t.data;
        const expected = sv ? sortedLastAxis(toFloat32(g), n) : toFloat32(g);
        const d = discrepancy(actual, expected);
        table.record(`${golden} ${name}`, name, d);
        expect(d.worst, `${golden} ${name} (worst at ${d.index})`).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  }
});
