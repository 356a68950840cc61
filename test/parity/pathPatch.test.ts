/**
 * Path patching against DTI's own `path_patch` on the golden MemoryGatedMLP pairs (`golden/scans/
 * MemoryGatedMLP`, README section D: `path.*` = 1 − m as the app plots it): pairA and pairC, raw and
 * dti-compat (the golden "processed" variant), all six views and the clean/corrupted logit differences.
 * On real weights, the last layer's heads -> final residual equal activation patching of those heads.
 * The CLI is run once for its output shapes, a custom sender/receiver set and its typed errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { metricReader, recovery } from '../../src/analysis/causal/metrics.ts';
import { patchPair } from '../../src/analysis/causal/patching.ts';
import { DTI_PATH_VIEWS, dtiPathViews } from '../../src/analysis/causal/pathViews.ts';
import { runSweep } from '../../src/analysis/causal/sweep.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { inputsFromTensors } from '../../src/model/inputs.ts';
import { createModel } from '../../src/model/load.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { runCli } from '../support/cli.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { describeWithShared, sharedPath } from '../support/shared.ts';

/** Absolute error on the ratio 1 − m (values of order 1; observed < 1e-6). */
const TOLERANCE = 1e-5;
const DIR = ['golden', 'scans', 'MemoryGatedMLP'];
const table = new ErrorTable();

describeWithShared('path patching: parity with DTI path_patch on MemoryGatedMLP', () => {
  afterAll(() => console.log(table.format('worst |dtlens - python| of 1 − m per golden path view')));
  const ckpt = loadCheckpoint(
    new Uint8Array(readFileSync(sharedPath('models', 'MemoryGatedMLP.pt'))),
    'MemoryGatedMLP.pt',
  );
  const read = (file: string) =>
    readSafetensors(new Uint8Array(readFileSync(sharedPath(...DIR, file)))).tensors;

  for (const pairName of ['pairA', 'pairC'])
    for (const [golden, weights] of [
      ['raw', 'raw'],
      ['processed', 'dti-compat'],
    ] as const) {
      it(`${pairName} ${golden} (${weights}): every DTI view`, async () => {
        const g = read(`${pairName}_${golden}.safetensors`);
        const model = createModel(ckpt, { weights, gemm: new TsGemm() });
        const pair = patchPair(model, inputsFromTensors(g, 'clean.'), inputsFromTensors(g, 'corrupted.'));
        const ld = metricReader(model, { kind: 'logit-diff' }, pair.clean);
        const [vClean, vCorrupted] = [ld.read(pair.clean, 0), ld.read(pair.corrupted, 0)];
        expect(vClean).toBeCloseTo(toFloat32(g.get('path.clean_logit_dif')!)[0], 4);
        expect(vCorrupted).toBeCloseTo(toFloat32(g.get('path.corrupted_logit_dif')!)[0], 4);
        const { views } = await dtiPathViews(model, pair);
        for (const name of DTI_PATH_VIEWS) {
          const want = g.get(`path.${name}`)!;
          expect(views[name].shape).toEqual(want.shape);
          const d = discrepancy(views[name].plotted, toFloat32(want));
          table.record(name, `${pairName} ${golden} ${name}`, d);
          expect(d.worst, `${name} (worst at ${d.index})`).toBeLessThanOrEqual(TOLERANCE);
        }
        // Nothing after the last layer's heads: path patching = activation patching of each head.
        const L = model.arch.nLayers;
        const H = model.arch.nHeads;
        const act: number[] = [];
        await runSweep(
          model,
          { tokens: pair.cleanTokens },
          Array.from({ length: H }, (_, h) => [
            {
              hook: `blocks.${L - 1}.attn.hook_z`,
              op: { kind: 'set', source: 'corrupted' },
              where: { heads: [h] },
            },
          ]),
          (run, rows) => rows.forEach((r, i) => (act[r] = 1 - recovery(ld.read(run, i), vCorrupted, vClean))),
          { sources: { corrupted: pair.corrupted.cache! } },
        );
        act.forEach((v, h) => expect(views.head_every.plotted[(L - 1) * H + h]).toBeCloseTo(v, 6));
      });
    }

  describeWithShared('dtlens path-patch', () => {
    let dir = '';
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'dtlens-path-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const model = () => sharedPath('models', 'MemoryGatedMLP.pt');
    const input = () => sharedPath(...DIR, 'pairC_raw.safetensors');

    it('writes the golden names and a custom sender/receiver set; bad sets fail with one line', () => {
      const out = join(dir, 'path.safetensors');
      const r = runCli(['path-patch', '--model', model(), '--input', input(), '--output', out]);
      expect(r.status, r.stderr).toBe(0);
      const t = readSafetensors(new Uint8Array(readFileSync(out))).tensors;
      expect(t.get('path.block_every')!.shape).toEqual([3, 2, 26]);
      for (const v of [
        'head_every',
        'z_to_last_mlp',
        'z_to_last_layer_q',
        'z_to_last_layer_k',
        'z_to_last_layer_v',
      ])
        expect(t.get(`path.${v}`)!.shape).toEqual([2, 4]);
      const golden = read('pairC_raw.safetensors');
      const d = discrepancy(toFloat32(t.get('path.head_every')!), toFloat32(golden.get('path.head_every')!));
      expect(d.worst).toBeLessThan(TOLERANCE);

      const custom = join(dir, 'custom.safetensors');
      const svg = join(dir, 'custom.svg');
      const c = runCli([
        'path-patch',
        '--model',
        model(),
        '--input',
        input(),
        '--senders',
        'embeds,L0H1,L0H1@25',
        '--receivers',
        'L1H0.v,mlp1.in',
        '--output',
        custom,
        '--svg',
        svg,
      ]);
      expect(c.status, c.stderr).toBe(0);
      const ct = readSafetensors(new Uint8Array(readFileSync(custom)));
      expect(ct.tensors.get('path.custom')!.shape).toEqual([6]);
      expect(JSON.parse(ct.metadata!.senders)).toEqual([
        'R embeddings',
        'S embeddings',
        'A embeddings',
        'pos_embed',
        'L0H1',
        'L0H1@25',
      ]);
      expect(readFileSync(svg, 'utf8')).toMatch(/<svg [^]*<\/svg>$/);

      // Another metric (--metric kl): KL(clean ‖ run) of every path is ≥ 0, unlike the logit difference.
      const kl = join(dir, 'kl.safetensors');
      const k = runCli([
        'path-patch',
        '--model',
        model(),
        '--input',
        input(),
        '--senders',
        'embeds,L0H1,L0H1@25',
        '--receivers',
        'L1H0.v,mlp1.in',
        '--metric',
        'kl',
        '--output',
        kl,
      ]);
      expect(k.status, k.stderr).toBe(0);
      const klMetric = toFloat32(
        readSafetensors(new Uint8Array(readFileSync(kl))).tensors.get('path.custom_metric')!,
      );
      expect([...klMetric].every((v) => v >= -1e-7)).toBe(true);
      expect([...klMetric]).not.toEqual([...toFloat32(ct.tensors.get('path.custom_metric')!)]);

      const bad = runCli([
        'path-patch',
        '--model',
        model(),
        '--input',
        input(),
        '--senders',
        'L1H0',
        '--receivers',
        'L0H2.q',
        '--output',
        join(dir, 'x.safetensors'),
      ]);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/receiver L0H2\.q .* runs before sender L1H0/);
      const unknown = runCli([
        'path-patch',
        '--model',
        model(),
        '--input',
        input(),
        '--senders',
        'L9H0',
        '--output',
        join(dir, 'y.safetensors'),
      ]);
      expect(unknown.stderr).toMatch(/unknown hook point "blocks\.9/);
    }, 120_000);
  });
});
