/**
 * A deliberately naive float64 re-statement of the DT transformer core (`dti_spec.md` §1.5), written
 * from the spec, independent of src/model: the unit-test oracle for the optimised forward pass.
 */
import type { RawTensor } from '../../src/io/rawTensor.ts';
import type { DTArchitecture } from '../../src/model/architecture.ts';

type Vec = number[];
type Mat = number[][];

const get = (sd: Map<string, RawTensor>, name: string): Float32Array => {
  const t = sd.get(name);
  if (!t) throw new Error(`missing ${name}`);
  return t.data as Float32Array;
};

function layerNorm(x: Vec, w?: Float32Array, b?: Float32Array): Vec {
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const c = x.map((v) => v - mean);
  const scale = Math.sqrt(c.reduce((a, v) => a + v * v, 0) / x.length + 1e-5);
  return c.map((v, i) => (w && b ? (v / scale) * w[i] + b[i] : v / scale));
}

/** tokens: [P][d] for one batch item -> final residual [P][d] (after ln_final). */
export function referenceTransformer(sd: Map<string, RawTensor>, arch: DTArchitecture, tokens: Mat): Mat {
  const { dModel: d, nHeads: H, dHead: dh, dMlp: m } = arch;
  const P = tokens.length;
  const Wpos = get(sd, 'transformer.pos_embed.W_pos');
  let resid: Mat = tokens.map((row, p) => row.map((v, j) => v + Wpos[p * d + j]));
  const ln = arch.normalization === 'LN';
  const norm = (x: Vec, prefix: string) =>
    arch.normalization
      ? layerNorm(x, ln ? get(sd, `${prefix}.w`) : undefined, ln ? get(sd, `${prefix}.b`) : undefined)
      : x;
  const act = (v: number) => (v > 0 ? v : 0);
  for (let l = 0; l < arch.nLayers; l++) {
    const pre = `transformer.blocks.${l}`;
    const x = resid.map((r) => norm(r, `${pre}.ln1`));
    const [WQ, WK, WV, WO] = ['W_Q', 'W_K', 'W_V', 'W_O'].map((k) => get(sd, `${pre}.attn.${k}`));
    const [bQ, bK, bV, bO] = ['b_Q', 'b_K', 'b_V', 'b_O'].map((k) => get(sd, `${pre}.attn.${k}`));
    const proj = (W: Float32Array, bias: Float32Array, h: number) =>
      x.map((row) =>
        Array.from(
          { length: dh },
          (_, e) => bias[h * dh + e] + row.reduce((a, v, i) => a + v * W[(h * d + i) * dh + e], 0),
        ),
      );
    const attnOut: Mat = x.map(() => Array.from({ length: d }, (_, j) => bO[j]));
    for (let h = 0; h < H; h++) {
      const q = proj(WQ, bQ, h);
      const k = proj(WK, bK, h);
      const v = proj(WV, bV, h);
      for (let i = 0; i < P; i++) {
        const s = Array.from({ length: P }, (_, j) =>
          j <= i ? q[i].reduce((a, qv, e) => a + qv * k[j][e], 0) / Math.sqrt(dh) : -1e5,
        );
        const mx = Math.max(...s);
        const ex = s.map((t) => Math.exp(t - mx));
        const sum = ex.reduce((a, t) => a + t, 0);
        const z = Array.from({ length: dh }, (_, e) => ex.reduce((a, t, j) => a + (t / sum) * v[j][e], 0));
        for (let j = 0; j < d; j++)
          attnOut[i][j] += z.reduce((a, zv, e) => a + zv * WO[(h * dh + e) * d + j], 0);
      }
    }
    const mid = resid.map((r, i) => r.map((v, j) => v + attnOut[i][j]));
    const Win = get(sd, `${pre}.mlp.W_in`);
    const bin = get(sd, `${pre}.mlp.b_in`);
    const Wout = get(sd, `${pre}.mlp.W_out`);
    const bout = get(sd, `${pre}.mlp.b_out`);
    const Wgate = arch.gatedMlp ? get(sd, `${pre}.mlp.W_gate`) : null;
    resid = mid.map((r) => {
      const y = norm(r, `${pre}.ln2`);
      const lin = (W: Float32Array, n: number) => y.reduce((a, v, i) => a + v * W[i * m + n], 0);
      const post = Array.from({ length: m }, (_, n) =>
        Wgate ? act(lin(Wgate, n)) * lin(Win, n) + bin[n] : act(lin(Win, n) + bin[n]),
      );
      return r.map((v, j) => v + bout[j] + post.reduce((a, pv, n) => a + pv * Wout[n * d + j], 0));
    });
  }
  return arch.normalization ? resid.map((r) => norm(r, 'transformer.ln_final')) : resid;
}
