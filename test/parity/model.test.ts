/**
 * Forward-pass parity with the original Python (PyTorch 1.13 + TransformerLens 1.2.2): every model of
 * ../shared/models, every golden trajectory window, raw and dti-compat ("processed" in the golden files),
 * outputs and full activation caches. Prints the worst error per model.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { type Checkpoint, loadCheckpoint } from '../../src/io/checkpoint.ts';
import { type RawTensor, toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import type { DecisionTransformer } from '../../src/model/decisionTransformer.ts';
import { inputsFromTensors } from '../../src/model/inputs.ts';
import { createModel } from '../../src/model/load.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { GOLDEN_MODELS, goldenModelDirs, goldenWindows, headsLabel, headsLabels } from '../support/golden.ts';
import { describeWithShared, readSharedJson, sharedAvailable, sharedPath } from '../support/shared.ts';

const TOLERANCE = 1e-5;
const table = new ErrorTable();

function compare(group: string, what: string, actual: Tensor | undefined, expected: RawTensor | undefined) {
  expect(expected, `golden ${what}`).toBeDefined();
  expect(actual, `dtlens ${what}`).toBeDefined();
  expect(actual!.shape, what).toEqual(expected!.shape);
  const d = discrepancy(actual!.data, toFloat32(expected!));
  table.record(group, what, d);
  expect(d.worst, `${group} ${what} (worst at flat index ${d.index})`).toBeLessThanOrEqual(TOLERANCE);
}

afterAll(() => {
  if (sharedAvailable)
    console.log(table.format('worst |dtlens - python| / max(1, |python|) per model and variant'));
});

describeWithShared('forward parity with the original Python', () => {
  it('../shared/golden holds exactly the expected models', () => {
    expect(goldenModelDirs()).toEqual(Object.keys(GOLDEN_MODELS).sort());
  });

  for (const [name, stored] of Object.entries(GOLDEN_MODELS)) {
    it(`${name}: every trajectory and cache, raw and dti-compat`, () => {
      /** What was compared, per window ("<file> <variant>: <heads>") and cache: asserted at the end. */
      const compared: string[] = [];
      const config = readSharedJson<{ source: { path: string }; hooked_transformer_config?: unknown }>(
        'golden',
        name,
        'config.json',
      );
      const file = config.source.path.split('/').pop()!;
      const ckpt: Checkpoint = loadCheckpoint(new Uint8Array(readFileSync(sharedPath('models', file))), file);
      const models: Record<string, DecisionTransformer> = {
        raw: createModel(ckpt, { weights: 'raw', gemm: new TsGemm() }),
        processed: createModel(ckpt, { weights: 'dti-compat', gemm: new TsGemm() }),
      };
      const trajFiles = goldenWindows(name);
      expect(trajFiles.length).toBe(8);
      for (const f of trajFiles) {
        const golden = readSafetensors(new Uint8Array(readFileSync(sharedPath('golden', name, f)))).tensors;
        const inputs = inputsFromTensors(golden);
        compare(
          `${name} tokens`,
          `${f} embed.tokens`,
          models.raw.toTokens(inputs),
          golden.get('embed.tokens'),
        );
        for (const [variant, model] of Object.entries(models)) {
          if (!golden.has(`${variant}.transformer_out`)) continue;
          const heads = (['action', 'state', 'reward'] as const).filter((h) =>
            golden.has(`${variant}.${h}_preds`),
          );
          const res = model.run(inputs, { heads });
          compared.push(`${f} ${headsLabel(variant, heads)}`);
          const group = `${name} ${variant}`;
          compare(
            group,
            `${f} transformer_out`,
            res.transformerOut,
            golden.get(`${variant}.transformer_out`),
          );
          compare(group, `${f} action_preds`, res.actionPreds, golden.get(`${variant}.action_preds`));
          if (heads.includes('state'))
            compare(group, `${f} state_preds`, res.statePreds, golden.get(`${variant}.state_preds`));
          if (heads.includes('reward'))
            compare(group, `${f} reward_preds`, res.rewardPreds, golden.get(`${variant}.reward_preds`));
          const empty = `${variant}.empty_actions`;
          if (golden.has(`${empty}.action_preds`)) {
            compared.push(`${f} ${variant}: empty_actions`);
            const e = model.run(
              { ...inputs, actions: new Int32Array(0) },
              { heads: ['action', 'state', 'reward'] },
            );
            compare(
              group,
              `${f} empty_actions.action_preds`,
              e.actionPreds,
              golden.get(`${empty}.action_preds`),
            );
            compare(
              group,
              `${f} empty_actions.state_preds`,
              e.statePreds,
              golden.get(`${empty}.state_preds`),
            );
            compare(
              group,
              `${f} empty_actions.reward_preds`,
              e.rewardPreds,
              golden.get(`${empty}.reward_preds`),
            );
          }
        }
      }
      const cacheFiles = readdirSync(sharedPath('golden', name)).filter((f) => f.startsWith('cache_'));
      expect(cacheFiles.length).toBeGreaterThan(0);
      for (const f of cacheFiles) {
        const variant = f.split('_')[1];
        const trajFile = f.replace(/^cache_[a-z]+_/, '');
        const golden = readSafetensors(
          new Uint8Array(readFileSync(sharedPath('golden', name, trajFile))),
        ).tensors;
        const expected = readSafetensors(new Uint8Array(readFileSync(sharedPath('golden', name, f)))).tensors;
        const { cache } = models[variant].run(inputsFromTensors(golden), { cache: true });
        expect(cache!.names.sort()).toEqual([...expected.keys()].sort());
        for (const [hook, t] of expected)
          compare(`${name} ${variant} cache`, `${f} ${hook}`, cache!.get(hook), t);
        compared.push(`cache: ${variant}`);
      }
      const perWindow = [
        ...headsLabels(stored),
        ...(stored.emptyActions ? Object.keys(stored.heads).map((v) => `${v}: empty_actions`) : []),
      ];
      expect(compared.sort()).toEqual(
        [
          ...trajFiles.flatMap((f) => perWindow.map((label) => `${f} ${label}`)),
          ...stored.caches.map((v) => `cache: ${v}`),
        ].sort(),
      );
    });
  }
});

describeWithShared('weight processing against the original', () => {
  const load = (file: string) =>
    loadCheckpoint(new Uint8Array(readFileSync(sharedPath('models', file))), file);

  it('dti-compat weights equal the app-processed state dict of MemoryGatedMLP', () => {
    const model = createModel(load('MemoryGatedMLP.pt'), { weights: 'dti-compat', gemm: new TsGemm() });
    const golden = readSafetensors(
      new Uint8Array(readFileSync(sharedPath('golden/MemoryGatedMLP/weights_processed.safetensors'))),
    ).tensors;
    const w = model.weights;
    const pairs: [string, Tensor | undefined][] = [
      ['action_predictor.weight', w.actionPredictor.W],
      ['action_predictor.bias', w.actionPredictor.b ?? undefined],
      ['state_predictor.weight', w.statePredictor?.W],
      ['reward_predictor.bias', w.rewardPredictor?.b ?? undefined],
    ];
    w.blocks.forEach((b, l) => {
      for (const k of ['W_Q', 'W_K', 'W_V', 'W_O', 'b_Q', 'b_K', 'b_V', 'b_O'] as const)
        pairs.push([`transformer.blocks.${l}.attn.${k}`, b.attn[k]]);
      for (const k of ['W_in', 'W_gate', 'b_in', 'W_out', 'b_out'] as const)
        pairs.push([`transformer.blocks.${l}.mlp.${k}`, b.mlp[k]]);
    });
    for (const [name, t] of pairs) compare('MemoryGatedMLP weights', name, t, golden.get(name));
    expect(golden.has('transformer.ln_final.w')).toBe(false);
  });

  it('processed (exact folding, incl. the gated MLP) computes the raw outputs on every golden window', () => {
    for (const file of ['MemoryGatedMLP.pt', 'DevModelNotCalibrated.pt', 'ReproduceOriginalPostShort.pt']) {
      const name = file.replace('.pt', '');
      const model = createModel(load(file), { weights: 'processed', gemm: new TsGemm() });
      for (const f of readdirSync(sharedPath('golden', name)).filter((x) =>
        /^traj\d+_seed\d+\.safetensors$/.test(x),
      )) {
        const golden = readSafetensors(new Uint8Array(readFileSync(sharedPath('golden', name, f)))).tensors;
        const res = model.run(inputsFromTensors(golden));
        compare(
          `${name} processed (exact) vs raw`,
          `${f} action_preds`,
          res.actionPreds,
          golden.get('raw.action_preds'),
        );
      }
    }
  });
});
