/**
 * Intervention discipline of the causal core on tiny random models: identity patches and zero-coefficient
 * additions are exact no-ops, batched sweep rows equal the same rows run one at a time (with and without
 * prefix reuse, across chunk boundaries), rows without interventions are bit-identical to the clean run,
 * each op does what it says on hand-checked values, cancellation leaves the model usable, JSON round-trips,
 * and bad input raises typed errors.
 */
import { describe, expect, it } from 'vitest';
import { interventionHooks, selectedOffsets } from '../../../src/analysis/causal/apply.ts';
import {
  type Intervention,
  type InterventionRow,
  interventionsFromJson,
  interventionsToJson,
} from '../../../src/analysis/causal/intervention.ts';
import { runSweep } from '../../../src/analysis/causal/sweep.ts';
import { DtlensError } from '../../../src/errors.ts';
import type { ActivationCache } from '../../../src/model/activationCache.ts';
import type { DecisionTransformer, RunResult } from '../../../src/model/decisionTransformer.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { randomInputs, randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from './support.ts';

const arch = tinyArch({ gatedMlp: true });
const model = randomModel(arch);
const clean = windowInputs(arch, 1, 3, 5);
const corrupted = windowInputs(arch, 1, 3, 9);
const cleanTokens = model.toTokens(clean);
const cleanRun = model.run(clean, { cache: true });
const corruptedRun = model.run(corrupted, { cache: true });
const P = cleanTokens.shape[1];
const sources = { clean: cleanRun.cache!, corrupted: corruptedRun.cache! };

/** Runs a sweep and returns the transformer output of each row [P, d] in sweep order. */
async function sweepOutputs(
  m: DecisionTransformer,
  rows: readonly InterventionRow[],
  opts: Parameters<typeof runSweep>[4] = {},
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const size = P * arch.dModel;
  await runSweep(
    m,
    { tokens: cleanTokens },
    rows,
    (run: RunResult, ids) => {
      ids.forEach((r, i) => (out[r] = run.transformerOut.data.slice(i * size, (i + 1) * size)));
    },
    { sources, ...opts },
  );
  return out;
}

const allHooks = model.hookNames;

/** A mixed bag of rows touching every op and layout. */
const mixedRows: InterventionRow[] = [
  [{ hook: 'blocks.0.hook_resid_pre', op: { kind: 'set', source: 'corrupted' }, where: { positions: [4] } }],
  [],
  [{ hook: 'blocks.1.attn.hook_z', op: { kind: 'zero' }, where: { heads: [1] } }],
  [
    {
      hook: 'blocks.0.attn.hook_pattern',
      op: { kind: 'set', source: 'corrupted' },
      where: { heads: [0], dest: [7] },
    },
    { hook: 'blocks.1.mlp.hook_post', op: { kind: 'scale', factor: 0.5 }, where: { neurons: [2, 5] } },
  ],
  [{ hook: 'hook_embed', op: { kind: 'add', vector: Array.from({ length: 8 }, (_, i) => i / 10) } }],
  [{ hook: 'blocks.1.hook_mlp_out', op: { kind: 'mean', over: 'own' } }],
  [{ hook: 'blocks.0.attn.hook_v', op: { kind: 'mean', over: 'window' }, where: { heads: [0] } }],
  [
    {
      hook: 'blocks.1.hook_resid_mid',
      op: { kind: 'add', coefficient: 2, vector: { source: 'corrupted', minus: 'clean' } },
    },
  ],
  [{ hook: 'blocks.0.attn.hook_q', op: { kind: 'resample', source: 'corrupted', seed: 3 } }],
  [{ hook: 'ln_final.hook_scale', op: { kind: 'scale', factor: 1.5 } }],
  [
    {
      hook: 'blocks.1.attn.hook_k',
      op: { kind: 'mean', over: 'dataset', source: 'corrupted' },
      where: { positions: [0, 1] },
    },
  ],
];

describe('causal core: intervention discipline', () => {
  it('an identity patch at every hook point is an exact no-op', async () => {
    const rows = allHooks.map((hook): InterventionRow => [{ hook, op: { kind: 'set', source: 'clean' } }]);
    const outs = await sweepOutputs(model, rows, { chunkRows: 5 });
    outs.forEach((o, i) => expect(o, allHooks[i]).toEqual(cleanRun.transformerOut.data));
  });

  it('a zero-coefficient addition is an exact no-op', async () => {
    const rows = allHooks.map((hook): InterventionRow => [
      { hook, op: { kind: 'add', coefficient: 0, vector: { source: 'corrupted', minus: 'clean' } } },
    ]);
    const outs = await sweepOutputs(model, rows);
    outs.forEach((o, i) => expect(o, allHooks[i]).toEqual(cleanRun.transformerOut.data));
  });

  it('batched rows equal the same rows run one at a time, with and without prefix reuse', async () => {
    const batched = await sweepOutputs(model, mixedRows, { chunkRows: 3 });
    const noReuse = await sweepOutputs(model, mixedRows, { prefixReuse: false });
    for (let r = 0; r < mixedRows.length; r++) {
      const alone = model.runFromTokens(cleanTokens, {
        hooks: interventionHooks([mixedRows[r]], arch, P, sources),
      });
      expect(batched[r], `row ${r}`).toEqual(alone.transformerOut.data);
      expect(noReuse[r], `row ${r} without prefix reuse`).toEqual(alone.transformerOut.data);
    }
    // The rows really intervene: all but the empty one change the output.
    mixedRows.forEach((row, r) => {
      if (row.length > 0) expect(batched[r], `row ${r}`).not.toEqual(cleanRun.transformerOut.data);
    });
  });

  it("a last-position readout gives every row's last token exactly as a full run", async () => {
    const lastLayer: InterventionRow[] = [
      [
        {
          hook: 'blocks.1.attn.hook_z',
          op: { kind: 'set', source: 'corrupted' },
          where: { positions: [P - 1] },
        },
      ],
      [{ hook: 'blocks.1.attn.hook_z', op: { kind: 'set', source: 'corrupted' }, where: { positions: [2] } }],
      [
        {
          hook: 'blocks.1.attn.hook_pattern',
          op: { kind: 'zero' },
          where: { heads: [1], dest: [P - 1], src: [0] },
        },
      ],
      [{ hook: 'blocks.1.mlp.hook_post', op: { kind: 'mean', over: 'own' } }],
      [
        {
          hook: 'blocks.1.hook_resid_post',
          op: { kind: 'add', vector: { source: 'corrupted', minus: 'clean' } },
        },
      ],
      [{ hook: 'ln_final.hook_normalized', op: { kind: 'set', source: 'corrupted' } }],
      [
        {
          hook: 'blocks.1.mlp.hook_pre',
          op: { kind: 'mean', over: 'dataset', source: 'corrupted' },
          where: { neurons: [3] },
        },
      ],
    ];
    const rows = [
      ...mixedRows.filter((r) => !r.some((iv) => iv.op.kind === 'mean' && iv.op.over === 'window')),
      ...lastLayer,
    ];
    const full = await sweepOutputs(model, rows);
    const d = arch.dModel;
    const last: Float32Array[] = [];
    await runSweep(
      model,
      { tokens: cleanTokens },
      rows,
      (run, ids) => ids.forEach((r, i) => (last[r] = run.transformerOut.data.slice(i * d, (i + 1) * d))),
      { sources, readout: 'last', chunkRows: 4 },
    );
    rows.forEach((_, r) => expect(last[r], `row ${r}`).toEqual(full[r].slice((P - 1) * d)));
    // A patch of z at an earlier position of the last layer cannot reach the last token.
    expect(last[rows.length - lastLayer.length + 1]).toEqual(cleanRun.transformerOut.data.slice((P - 1) * d));
  });

  it('rows without interventions are bit-identical to the clean run', async () => {
    const rows: InterventionRow[] = [...mixedRows, [], []];
    const outs = await sweepOutputs(model, rows, { chunkRows: 4 });
    for (const r of [1, rows.length - 2, rows.length - 1])
      expect(outs[r]).toEqual(cleanRun.transformerOut.data);
  });

  it('a patch of blocks.L.hook_resid_pre matches a hand-written TransformerLens-style hook', async () => {
    const pos = 5;
    const [out] = await sweepOutputs(model, [
      [
        {
          hook: 'blocks.1.hook_resid_pre',
          op: { kind: 'set', source: 'corrupted' },
          where: { positions: [pos] },
        },
      ],
    ]);
    const src = corruptedRun.cache!.get('blocks.1.hook_resid_pre');
    const d = arch.dModel;
    const manual = model.run(clean, {
      hooks: [
        {
          name: 'blocks.1.hook_resid_pre',
          fn: (a: Tensor) => a.data.set(src.data.subarray(pos * d, (pos + 1) * d), pos * d),
        },
      ],
    });
    expect(out).toEqual(manual.transformerOut.data);
  });
});

describe('causal core: each op on hand-checked values', () => {
  /** The activation at `hook` after applying `iv` to the clean run (cached after the hooks). */
  const after = (iv: Intervention, cacheOf: ActivationCache = cleanRun.cache!): Float32Array => {
    const res = model.runFromTokens(cleanTokens, {
      hooks: interventionHooks([[iv]], arch, P, { ...sources, clean: cacheOf }),
      cache: [iv.hook],
    });
    return res.cache!.get(iv.hook).data;
  };
  const before = (hook: string) => cleanRun.cache!.get(hook).data;

  it('zero, scale and set touch only the selected elements', () => {
    const hook = 'blocks.0.attn.hook_z'; // [P, H, dh]
    const [H, dh] = [arch.nHeads, arch.dHead];
    const z = after({ hook, op: { kind: 'zero' }, where: { heads: [1], positions: [2, 3] } });
    const s = after({ hook, op: { kind: 'scale', factor: 3 }, where: { heads: [0] } });
    const c = after({ hook, op: { kind: 'set', source: 'corrupted' }, where: { positions: [6] } });
    const b = before(hook);
    const src = corruptedRun.cache!.get(hook).data;
    for (let p = 0; p < P; p++)
      for (let h = 0; h < H; h++)
        for (let e = 0; e < dh; e++) {
          const o = (p * H + h) * dh + e;
          expect(z[o]).toBe(h === 1 && (p === 2 || p === 3) ? 0 : b[o]);
          expect(s[o]).toBe(h === 0 ? Math.fround(3 * b[o]) : b[o]);
          expect(c[o]).toBe(p === 6 ? src[o] : b[o]);
        }
  });

  it("mean 'own' replaces each vector by its own mean (DTI's ablation); 'window' by the mean over positions", () => {
    const hook = 'blocks.1.hook_attn_out'; // [P, d]
    const d = arch.dModel;
    const own = after({ hook, op: { kind: 'mean', over: 'own' }, where: { positions: [3] } });
    const win = after({ hook, op: { kind: 'mean', over: 'window' }, where: { positions: [0] } });
    const b = before(hook);
    const mean3 = b.slice(3 * d, 4 * d).reduce((a, v) => a + v, 0) / d;
    for (let j = 0; j < d; j++) {
      expect(own[3 * d + j]).toBeCloseTo(mean3, 6);
      expect(own[4 * d + j]).toBe(b[4 * d + j]);
      let m = 0;
      for (let p = 0; p < P; p++) m += b[p * d + j];
      expect(win[j]).toBeCloseTo(m / P, 6);
      expect(win[d + j]).toBe(b[d + j]);
    }
  });

  it("mean 'dataset' averages a batched source; resample copies one of its rows", () => {
    const batch = model.run(randomInputs(arch, 4, 3, 11), { cache: true }).cache!;
    const hook = 'blocks.0.mlp.hook_post'; // [P, m]
    const m = arch.dMlp;
    const rowSize = P * m;
    const src = batch.get(hook).data;
    const mean = after(
      { hook, op: { kind: 'mean', over: 'dataset', source: 'clean' }, where: { neurons: [4] } },
      batch,
    );
    for (let p = 0; p < P; p++) {
      let s = 0;
      for (let r = 0; r < 4; r++) s += src[r * rowSize + p * m + 4];
      expect(mean[p * m + 4]).toBeCloseTo(s / 4, 6);
    }
    const res = after({ hook, op: { kind: 'resample', source: 'clean', seed: 7 } }, batch);
    const matches = [0, 1, 2, 3].filter((r) =>
      src.slice(r * rowSize, (r + 1) * rowSize).every((v, i) => v === res[i]),
    );
    expect(matches.length).toBe(1);
  });

  it('where selects positions x heads x dims in memory order', () => {
    const offs = selectedOffsets(
      {
        hook: 'blocks.0.attn.hook_pattern',
        op: { kind: 'zero' },
        where: { heads: [1], dest: [2], src: [0, 2] },
      },
      [2, 4, 4],
    );
    expect([...offs]).toEqual([16 + 8 + 0, 16 + 8 + 2]);
  });
});

describe('causal core: progress, cancellation, JSON and errors', () => {
  it('reports progress per chunk and cancels at a chunk boundary, leaving the model usable', async () => {
    const progress: number[] = [];
    const ctrl = new AbortController();
    const rows = [...mixedRows, ...mixedRows];
    await expect(
      sweepOutputs(model, rows, {
        chunkRows: 4,
        signal: ctrl.signal,
        onProgress: (done) => {
          progress.push(done);
          if (done >= 8) ctrl.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(progress).toEqual([4, 8]);
    const again = model.run(clean);
    expect(again.transformerOut.data).toEqual(cleanRun.transformerOut.data);
    const full: number[] = [];
    await sweepOutputs(model, rows, { chunkRows: 10, onProgress: (d) => full.push(d) });
    expect(full).toEqual([10, 20, 22]);
  });

  it('round-trips through JSON and accepts a single row or intervention', () => {
    const json = interventionsToJson(mixedRows);
    expect(interventionsFromJson(json, arch, P)).toEqual(mixedRows);
    expect(interventionsFromJson(JSON.stringify(mixedRows[0]), arch, P)).toEqual([mixedRows[0]]);
    expect(interventionsFromJson(JSON.stringify(mixedRows[0][0]), arch, P)).toEqual([mixedRows[0]]);
  });

  it('rejects bad interventions with clear typed errors', async () => {
    const bad = (iv: unknown) => () => interventionsFromJson(JSON.stringify([[iv]]), arch, P);
    const set = { kind: 'set', source: 'corrupted' };
    expect(bad({ hook: 'blocks.2.hook_resid_pre', op: set })).toThrow(/unknown hook point/);
    expect(bad({ hook: 'blocks.0.hook_resid_pre', op: set, where: { heads: [0] } })).toThrow(
      /"heads" does not apply/,
    );
    expect(bad({ hook: 'blocks.0.attn.hook_z', op: set, where: { heads: [2] } })).toThrow(
      /index 2 is outside 0..1/,
    );
    expect(bad({ hook: 'blocks.0.attn.hook_z', op: set, where: { positions: [P] } })).toThrow(/outside/);
    expect(bad({ hook: 'blocks.0.attn.hook_z', op: set, where: { pos: [1] } })).toThrow(
      /unknown where key "pos"/,
    );
    expect(bad({ hook: 'blocks.0.attn.hook_z', op: { kind: 'boil' } })).toThrow(/op must be one of/);
    expect(bad({ hook: 'blocks.0.attn.hook_z', op: { kind: 'scale', factor: 'x' } })).toThrow(/finite/);
    expect(() => interventionsFromJson('[', arch, P)).toThrow(/not valid JSON/);
    expect(() => interventionsFromJson('[]', arch, P)).toThrow(/non-empty/);
    await expect(sweepOutputs(model, [])).rejects.toThrow(/no interventions/);
    await expect(
      sweepOutputs(model, [[{ hook: 'blocks.0.hook_resid_pre', op: { kind: 'set', source: 'nowhere' } }]]),
    ).rejects.toThrow(/no source cache named "nowhere"/);
    await expect(
      sweepOutputs(model, [[{ hook: 'blocks.0.hook_mlp_out', op: { kind: 'add', vector: [1, 2] } }]]),
    ).rejects.toThrow(/the vector has 2 values; blocks.0.hook_mlp_out needs 8/);
    const shortWindow = model.run(windowInputs(arch, 1, 2, 9), { cache: true }).cache!;
    await expect(
      sweepOutputs(model, [[{ hook: 'blocks.0.hook_resid_pre', op: { kind: 'set', source: 'short' } }]], {
        sources: { short: shortWindow },
      }),
    ).rejects.toThrow(DtlensError);
  });
});
