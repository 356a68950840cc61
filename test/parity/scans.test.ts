/**
 * Parity of the batched scans with DTI's own RTG scan and AVEC on the golden MemoryGatedMLP pairs
 * (`golden/scans/MemoryGatedMLP`, README section D): pairA and pairC, raw and dti-compat (the golden
 * "processed" variant): RTG values, last-position logits and the decomposition at DTI's three levels
 * (no LN scaling), on the TS core and on the fused ORT core (last-position runs, as the CLI runs them),
 * and the AVEC coefficient scan at both layers. With LN scaling on dtlens's exactly
 * processed weights, the components sum to the logit difference at every RTG. The CLI commands are run
 * once each, with their bad-option errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rtgScan } from '../../src/analysis/scans/rtgScan.ts';
import { coefficientScan, pairSteering } from '../../src/analysis/scans/steering.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { type RawTensor, toFloat32 } from '../../src/io/rawTensor.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { inputsFromTensors } from '../../src/model/inputs.ts';
import { createModel } from '../../src/model/load.ts';
import { OrtFusedCore } from '../../src/node/ortCore.ts';
import { TsGemm } from '../../src/tensor/gemmTs.ts';
import { runCli } from '../support/cli.ts';
import { ErrorTable, discrepancy } from '../support/compare.ts';
import { describeWithShared, readSharedJson, sharedPath } from '../support/shared.ts';

const TOLERANCE = 1e-5;
const DIR = ['golden', 'scans', 'MemoryGatedMLP'];
const LEVELS = { layers: 'Reduced', components: 'Full', neurons: 'MLP' } as const;
const table = new ErrorTable();
const ortCore = new OrtFusedCore();
afterAll(() => ortCore.dispose());

interface Manifest {
  files: Record<string, { labels: Record<string, string[]> }>;
}

function compare(what: string, actual: ArrayLike<number>, expected: RawTensor) {
  const d = discrepancy(actual, toFloat32(expected));
  table.record(what.replace(/^\S+ \S+ /, ''), what, d);
  expect(d.worst, `${what} (worst at flat index ${d.index})`).toBeLessThanOrEqual(TOLERANCE);
}

/** [n, T, A] golden action predictions at the last timestep: [n * A]. */
function lastStep(t: RawTensor): Float32Array {
  const [n, T, A] = t.shape;
  const data = toFloat32(t);
  const out = new Float32Array(n * A);
  for (let i = 0; i < n; i++) out.set(data.subarray((i * T + T - 1) * A, (i * T + T) * A), i * A);
  return out;
}

describeWithShared('scans: parity with DTI RTG scan and AVEC on MemoryGatedMLP', () => {
  afterAll(() =>
    console.log(table.format('worst |dtlens - python| / max(1, |python|) per golden scan tensor')),
  );
  const manifest = readSharedJson<Manifest>(...DIR, 'manifest.json');
  const ckpt = loadCheckpoint(
    new Uint8Array(readFileSync(sharedPath('models', 'MemoryGatedMLP.pt'))),
    'MemoryGatedMLP.pt',
  );
  const read = (file: string) =>
    readSafetensors(new Uint8Array(readFileSync(sharedPath(...DIR, file)))).tensors;

  for (const pair of ['pairA', 'pairC'])
    for (const [golden, weights] of [
      ['raw', 'raw'],
      ['processed', 'dti-compat'],
    ] as const) {
      const file = `${pair}_${golden}.safetensors`;
      it(`${pair} ${golden} (${weights}): RTG scan and AVEC at both layers`, async () => {
        const g = read(file);
        const labels = manifest.files[file].labels;
        const model = createModel(ckpt, { weights, gemm: new TsGemm() });
        const clean = inputsFromTensors(g, 'clean.');
        const corrupted = inputsFromTensors(g, 'corrupted.');

        // The TS core's and the fused ORT core's last-position runs (as the CLI runs the scan).
        const fused = createModel(ckpt, { weights, gemm: new TsGemm(), fusedCore: ortCore });
        for (const [core, m] of [
          ['ts', model],
          ['ort', fused],
        ] as const) {
          const scan = await rtgScan(m, clean, { cluster: 'dti' });
          const name = `${pair} ${golden} ${core}`;
          compare(`${name} rtg_scan.rtg`, scan.rtg, g.get('rtg_scan.rtg')!);
          compare(`${name} rtg_scan.logits`, scan.logits.data, lastStepRaw(g.get('rtg_scan.action_preds')!));
          for (const [level, dti] of Object.entries(LEVELS)) {
            const d = scan.decomposition[level as keyof typeof LEVELS]!;
            expect(d.labels).toEqual(labels[`rtg_scan.decomp.${dti}.labels`]);
            expect(d.lnScaled).toBe(false);
            compare(`${name} rtg_scan.decomp.${dti}`, d.values.flat(), g.get(`rtg_scan.decomp.${dti}`)!);
          }
          expect(scan.correlation!.labels).toHaveLength(10); // 8 heads + 2 MLPs
          expect([...scan.correlation!.order].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
        }

        for (const layer of [0, 1]) {
          const steering = pairSteering(model, clean, corrupted, `blocks.${layer}.hook_resid_pre`);
          const avec = await coefficientScan(model, clean, steering, { levels: ['components'] });
          compare(`${pair} ${golden} avec.coeff`, avec.coeff, g.get('avec.coeff')!);
          compare(
            `${pair} ${golden} avec.L${layer}.logits`,
            avec.logits.data,
            lastStepRaw(g.get(`avec.L${layer}.action_preds`)!),
          );
          const d = avec.decomposition.components!;
          expect(d.labels).toEqual(labels[`avec.L${layer}.decomp.Full.labels`]);
          compare(
            `${pair} ${golden} avec.L${layer}.decomp.Full`,
            d.values.flat(),
            g.get(`avec.L${layer}.decomp.Full`)!,
          );
        }
      });
    }

  it('processed weights with LN scaling: components sum to the logit difference at every RTG (1e-4)', async () => {
    const model = createModel(ckpt, { weights: 'processed', gemm: new TsGemm() });
    for (const pair of ['pairA', 'pairC']) {
      const clean = inputsFromTensors(read(`${pair}_raw.safetensors`), 'clean.');
      const scan = await rtgScan(model, clean, { min: -1, max: 2, applyLn: true });
      for (const level of ['layers', 'components', 'neurons'] as const) {
        const d = scan.decomposition[level]!;
        expect(d.lnScaled).toBe(true);
        scan.logitDiff.forEach((target, i) => {
          const total = d.values.reduce((s, v) => s + v[i], 0);
          expect(Math.abs(total - target), `${pair} ${level} RTG ${scan.rtg[i]}`).toBeLessThan(1e-4);
        });
      }
      // The scan actually moves the prediction (the model is RTG-conditioned).
      expect(Math.max(...scan.logitDiff) - Math.min(...scan.logitDiff)).toBeGreaterThan(0.1);
    }
  });

  describeCli();

  function describeCli() {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'dtlens-scans-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const model = () => sharedPath('models', 'MemoryGatedMLP.pt');
    const input = () => sharedPath(...DIR, 'pairA_processed.safetensors');

    it('dtlens rtg-scan and steer write the fixed JSON shape and a figure', () => {
      const out = join(dir, 'scan.json');
      const svg = join(dir, 'scan.svg');
      const r = runCli([
        'rtg-scan',
        '--model',
        model(),
        '--input',
        input(),
        '--prefix',
        'clean.',
        '--n',
        '16',
        '--weights',
        'dti-compat',
        '--output',
        out,
        '--svg',
        svg,
        '--figure',
        'clustergram',
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/left − right at S9: logit difference .* clusters: \[/);
      const j = JSON.parse(readFileSync(out, 'utf8'));
      expect(j.rtg).toHaveLength(16);
      expect(j.logits).toHaveLength(16);
      expect(j.logits[0]).toHaveLength(7);
      for (const level of ['layers', 'components', 'neurons']) {
        expect(j.decomposition[level].values[0]).toHaveLength(16);
        expect(j.decomposition[level].lnScaled).toBe(false);
      }
      expect(j.correlation.method).toBe('dti');
      expect(j.correlation.values).toHaveLength(j.correlation.labels.length);
      expect(readFileSync(svg, 'utf8')).toMatch(/^<\?xml[^]*<svg [^]*<\/svg>$/);

      const steer = join(dir, 'steer.json');
      const s = runCli([
        'steer',
        '--model',
        model(),
        '--input',
        input(),
        '--layer',
        '1',
        '--n',
        '8',
        '--output',
        steer,
        '--png',
        join(dir, 'steer.png'),
        '--figure',
        'logits',
      ]);
      expect(s.status, s.stderr).toBe(0);
      const sj = JSON.parse(readFileSync(steer, 'utf8'));
      expect(sj.coeff).toEqual([...Array(8).keys()].map((i) => expect.closeTo(-1 + (3 * i) / 7, 6)));
      expect(sj.decomposition.components.labels).toContain('L1H3');
    });

    it('bad options fail with one-line typed messages', () => {
      const base = ['--model', model(), '--input', input(), '--output', join(dir, 'x.json')];
      for (const [args, message] of [
        [
          ['rtg-scan', ...base, '--prefix', 'clean.', '--min', '1', '--max', '0'],
          /RTG range 1..0 is empty or inverted/,
        ],
        [['rtg-scan', ...base, '--prefix', 'clean.', '--n', '1'], /integer in 2\.\./],
        [['rtg-scan', ...base, '--prefix', 'clean.', '--position', '26'], /position 26 is outside/],
        [['rtg-scan', ...base, '--prefix', 'clean.', '--levels', 'heads'], /each of --levels must be one of/],
        [
          ['steer', ...base, '--layer', '0', '--coeff-min', '2', '--coeff-max', '2'],
          /coefficient range 2..2 is empty/,
        ],
        [['steer', ...base, '--layer', '5'], /layer|hook/],
        [['steer', ...base, '--layer', '0', '--positions', '30'], /positions index 30 is outside 0..25/],
      ] as const) {
        const res = runCli([...args]);
        expect(res.status, args.join(' ')).toBe(1);
        expect(res.stderr).toMatch(message);
        expect(res.stderr.trim().split('\n')).toHaveLength(1);
      }
    });
  }
});

/** The golden [n, T, A] predictions reduced to the last timestep, as a RawTensor. */
function lastStepRaw(t: RawTensor): RawTensor {
  return { dtype: 'F32', shape: [t.shape[0], t.shape[2]], data: lastStep(t) };
}
