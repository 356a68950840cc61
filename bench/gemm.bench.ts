/**
 * GEMM backends on the shapes of the target model (2 layers, d_model 128, 4 heads of 32, gated MLP
 * d_mlp 256, 26 tokens) at batch 1 and 256: TsGemm, WasmGemm and OrtGemm (idle pool threads sleeping,
 * the default, and spinning), medians and speed ratios from one run. Then square products from tiny to
 * large, to locate where ORT starts to beat wasm (the `auto` threshold, `ORT_MIN_MACS`).
 */
import { OrtGemm } from '../src/node/ortGemm.ts';
import { ORT_MIN_MACS, nodeGemm } from '../src/node/gemm.ts';
import type { Gemm } from '../src/tensor/gemm.ts';
import { TsGemm } from '../src/tensor/gemmTs.ts';
import { WasmGemm } from '../src/tensor/wasmGemm.ts';
import { compareMs, printTable } from './harness.ts';

interface Case {
  label: string;
  /** Matrix count per forward pass (2 layers). */
  perForward: number;
  batch: number;
  m: number;
  k: number;
  n: number;
  transB?: boolean;
  broadcastB?: boolean;
}

const T = 26;
const D = 128;
const HEADS = 4;
const DH = 32;
const D_MLP = 256;
const LAYERS = 2;

function modelCases(windows: number): Case[] {
  const rows = windows * T;
  return [
    { label: 'qkv proj', perForward: LAYERS, batch: 1, m: rows, k: D, n: 3 * D },
    { label: 'attn out proj', perForward: LAYERS, batch: 1, m: rows, k: D, n: D },
    { label: 'scores q.kT', perForward: LAYERS, batch: windows * HEADS, m: T, k: DH, n: T, transB: true },
    { label: 'pattern.v', perForward: LAYERS, batch: windows * HEADS, m: T, k: T, n: DH },
    { label: 'mlp in (gate+up)', perForward: LAYERS, batch: 1, m: rows, k: D, n: 2 * D_MLP },
    { label: 'mlp out', perForward: LAYERS, batch: 1, m: rows, k: D_MLP, n: D },
  ];
}

const random = (size: number): Float32Array => Float32Array.from({ length: size }, () => Math.random() - 0.5);

/** Median time per call of each backend on case `c`, sampled interleaved. */
function timeCase(gemms: Gemm[], c: Case): number[] {
  const a = random(c.batch * c.m * c.k);
  const b = random((c.broadcastB ? 1 : c.batch) * c.k * c.n);
  const out = new Float32Array(c.batch * c.m * c.n);
  const opts = { out, transB: c.transB, broadcastB: c.broadcastB };
  const calls = gemms.map((gemm) =>
    c.batch === 1
      ? () => gemm.matmul(a, b, c.m, c.k, c.n, opts)
      : () => gemm.bmm(a, b, c.batch, c.m, c.k, c.n, opts),
  );
  return compareMs(calls, c.batch * c.m * c.k * c.n > 5e7 ? { samples: 3, sampleMs: 1 } : {});
}

const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(1)} us` : `${ms.toFixed(2)} ms`);

export default function run(): void {
  const ts = new TsGemm();
  const wasm = new WasmGemm();
  const ort = new OrtGemm();
  const ortSpin = new OrtGemm({ spinning: true });
  const auto = nodeGemm('auto');
  const backends: Array<[string, Gemm]> = [
    ['ts', ts],
    ['wasm', wasm],
    ['ort', ort],
    ['ort spin', ortSpin],
    ['auto', auto],
  ];
  const gemms = backends.map(([, g]) => g);

  for (const windows of [1, 256]) {
    console.log(`\nModel GEMMs at batch ${windows} (${windows * T} token rows); median time per call`);
    const totals = backends.map(() => 0);
    const rows = modelCases(windows).map((c) => {
      const times = timeCase(gemms, c);
      times.forEach((t, i) => (totals[i] += t * c.perForward));
      const shape = `${c.batch > 1 ? `${c.batch}x ` : ''}[${c.m},${c.k}]@[${c.k},${c.n}]${c.transB ? 'T' : ''}`;
      return [
        c.label,
        shape,
        ...times.map(fmt),
        (times[0] / times[1]).toFixed(1),
        (times[2] / times[1]).toFixed(2),
        (times[3] / times[1]).toFixed(2),
      ];
    });
    rows.push([
      `all GEMMs of a forward`,
      `${LAYERS} layers`,
      ...totals.map(fmt),
      (totals[0] / totals[1]).toFixed(1),
      (totals[2] / totals[1]).toFixed(2),
      (totals[3] / totals[1]).toFixed(2),
    ]);
    printTable(['op', 'shape', ...backends.map(([n]) => n), 'ts/wasm', 'ort/wasm', 'ort spin/wasm'], rows);
    if (windows > 1) {
      const perSec = backends.map(([name], i) => `${name} ${Math.round(windows / (totals[i] / 1000))}`);
      console.log(`GEMM-only ceiling, windows/s: ${perSec.join(', ')}`);
    }
  }

  console.log(`\nSquare products n^3: where ORT starts to win (auto sends >= ${ORT_MIN_MACS} MACs to ORT)`);
  const sweep = [4, 8, 16, 32, 48, 64, 96, 128, 160, 192, 256, 384].map((n) => {
    const c: Case = { label: `${n}`, perForward: 1, batch: 1, m: n, k: n, n };
    const [tTs, tWasm, tOrt, tSpin] = timeCase([ts, wasm, ort, ortSpin], c);
    return [
      `${n}^3`,
      `${n ** 3}`,
      fmt(tTs),
      fmt(tWasm),
      fmt(tOrt),
      fmt(tSpin),
      (tTs / tWasm).toFixed(2),
      (tOrt / tWasm).toFixed(2),
      (tSpin / tWasm).toFixed(2),
      `${Math.round(n ** 3 / (tWasm * 1000))}`,
    ];
  });
  printTable(
    [
      'shape',
      'MACs',
      'ts',
      'wasm',
      'ort',
      'ort spin',
      'ts/wasm',
      'ort/wasm',
      'ort spin/wasm',
      'wasm MACs/us',
    ],
    sweep,
  );
  ort.dispose();
  ortSpin.dispose();
}
