/**
 * Per-op backward functions against central finite differences of float64 forwards written here from
 * dti_spec.md §1.5 (tiny shapes). Embeddings and the action head are checked in backward.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../../src/tensor/tensor.ts';
import { ACTIVATIONS } from '../../../src/tensor/ops.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';
import { activationBackward } from '../../../src/train/grad/activation.ts';
import { attentionBackward } from '../../../src/train/grad/attention.ts';
import { crossEntropy } from '../../../src/train/grad/crossEntropy.ts';
import { layerNormBackward } from '../../../src/train/grad/layerNorm.ts';
import { mlpBackward } from '../../../src/train/grad/mlp.ts';
import { seededRandom } from '../../support/randomModel.ts';
import { centralDifference, expectGradient, randomArray } from './support.ts';

const gemm = new TsGemm();
const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

function layerNorm64(x: Float64Array, d: number, w?: Float64Array, b?: Float64Array) {
  const out = new Float64Array(x.length);
  const scale = new Float64Array(x.length / d);
  for (let r = 0; r < scale.length; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    const mean = row.reduce((a, v) => a + v, 0) / d;
    scale[r] = Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / d + 1e-5);
    for (let j = 0; j < d; j++)
      out[r * d + j] = ((row[j] - mean) / scale[r]) * (w ? w[j] : 1) + (b ? b[j] : 0);
  }
  return { out, scale };
}

describe('layer norm backward', () => {
  for (const affine of [true, false]) {
    it(`matches finite differences (${affine ? 'LN' : 'LNPre'})`, () => {
      const rand = seededRandom(1);
      const d = 5;
      const x = randomArray(rand, 3 * d, 2);
      const w = randomArray(rand, d).map((v) => 1 + v / 2);
      const b = randomArray(rand, d);
      const c = randomArray(rand, 3 * d);
      const f = () => dot(c, layerNorm64(x, d, affine ? w : undefined, affine ? b : undefined).out);
      const dw = new Float32Array(d);
      const db = new Float32Array(d);
      const dx = layerNormBackward(
        f32(x),
        f32(layerNorm64(x, d).scale),
        f32(c),
        d,
        affine ? { w: f32(w), dw, db } : undefined,
      );
      expectGradient(dx, f, x, 'dx');
      if (affine) {
        expectGradient(dw, f, w, 'dw');
        expectGradient(db, f, b, 'db');
      }
    });
  }
});

describe('activation derivatives', () => {
  for (const name of ['relu', 'gelu', 'silu', 'gelu_new', 'gelu_fast'] as const) {
    it(`${name} matches finite differences of the forward activation`, () => {
      const pts = new Float64Array([-3, -1.2, -0.3, 0.2, 0.7, 1.5, 4]);
      const grad = activationBackward(name, f32(pts), new Float32Array(pts.length).fill(1));
      pts.forEach((_, i) => {
        const fd = centralDifference(() => ACTIVATIONS[name](pts[i]), pts, i);
        expect(grad[i]).toBeCloseTo(fd, 5);
      });
    });
  }
  it('rejects solu_ln', () => {
    expect(() => activationBackward('solu_ln', new Float32Array(1), new Float32Array(1))).toThrow(/solu_ln/);
  });
});

describe('attention backward', () => {
  const [B, P, H, dh, d] = [2, 3, 2, 2, 4];
  const rand = seededRandom(5);
  const x = randomArray(rand, B * P * d);
  const W = {
    W_Q: randomArray(rand, H * d * dh),
    W_K: randomArray(rand, H * d * dh),
    W_V: randomArray(rand, H * d * dh),
  };
  const Wo = randomArray(rand, H * dh * d);
  const bias = {
    b_Q: randomArray(rand, H * dh),
    b_K: randomArray(rand, H * dh),
    b_V: randomArray(rand, H * dh),
  };
  const bO = randomArray(rand, d);
  const c = randomArray(rand, B * P * d);

  /** Naive float64 forward: returns q, k, v [B,P,H,dh], pattern [B,H,P,P], z, out. */
  function forward() {
    const proj = (Wm: Float64Array, bm: Float64Array) => {
      const o = new Float64Array(B * P * H * dh);
      for (let r = 0; r < B * P; r++)
        for (let h = 0; h < H; h++)
          for (let e = 0; e < dh; e++) {
            let s = bm[h * dh + e];
            for (let i = 0; i < d; i++) s += x[r * d + i] * Wm[(h * d + i) * dh + e];
            o[(r * H + h) * dh + e] = s;
          }
      return o;
    };
    const q = proj(W.W_Q, bias.b_Q);
    const k = proj(W.W_K, bias.b_K);
    const v = proj(W.W_V, bias.b_V);
    const pattern = new Float64Array(B * H * P * P);
    const z = new Float64Array(B * P * H * dh);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < P; i++) {
          const s = Array.from({ length: P }, (_, j) => {
            if (j > i) return -1e5;
            let t = 0;
            for (let e = 0; e < dh; e++)
              t += q[((b * P + i) * H + h) * dh + e] * k[((b * P + j) * H + h) * dh + e];
            return t / Math.sqrt(dh);
          });
          const mx = Math.max(...s);
          const ex = s.map((t) => Math.exp(t - mx));
          const sum = ex.reduce((a, t) => a + t, 0);
          for (let j = 0; j < P; j++) {
            const p = ex[j] / sum;
            pattern[((b * H + h) * P + i) * P + j] = p;
            for (let e = 0; e < dh; e++)
              z[((b * P + i) * H + h) * dh + e] += p * v[((b * P + j) * H + h) * dh + e];
          }
        }
    const out = new Float64Array(B * P * d);
    for (let r = 0; r < B * P; r++)
      for (let j = 0; j < d; j++) {
        let s = bO[j];
        for (let m = 0; m < H * dh; m++) s += z[r * H * dh + m] * Wo[m * d + j];
        out[r * d + j] = s;
      }
    return { q, k, v, pattern, z, out };
  }

  it('matches finite differences for the input and every weight', () => {
    const fw = forward();
    const t = (a: Float64Array, shape: number[]) => new Tensor(f32(a), shape);
    const grads = {
      W_Q: new Float32Array(H * d * dh),
      W_K: new Float32Array(H * d * dh),
      W_V: new Float32Array(H * d * dh),
      W_O: new Float32Array(H * dh * d),
      b_Q: new Float32Array(H * dh),
      b_K: new Float32Array(H * dh),
      b_V: new Float32Array(H * dh),
      b_O: new Float32Array(d),
    };
    const res = attentionBackward(
      gemm,
      { B, P, H, dh, d },
      {
        W_Q: t(W.W_Q, [H, d, dh]),
        W_K: t(W.W_K, [H, d, dh]),
        W_V: t(W.W_V, [H, d, dh]),
        W_O: t(Wo, [H, dh, d]),
        b_Q: t(bias.b_Q, [H, dh]),
        b_K: t(bias.b_K, [H, dh]),
        b_V: t(bias.b_V, [H, dh]),
        b_O: t(bO, [d]),
      },
      { x: f32(x), q: f32(fw.q), k: f32(fw.k), v: f32(fw.v), pattern: f32(fw.pattern), z: f32(fw.z) },
      f32(c),
      grads,
    );
    const f = () => dot(c, forward().out);
    expectGradient(res.dx, f, x, 'dx');
    for (const k of ['W_Q', 'W_K', 'W_V'] as const) expectGradient(grads[k], f, W[k], k);
    for (const k of ['b_Q', 'b_K', 'b_V'] as const) expectGradient(grads[k], f, bias[k], k);
    expectGradient(grads.W_O, f, Wo, 'W_O');
    expectGradient(grads.b_O, f, bO, 'b_O');
    // masked scores (key after query) get no gradient
    for (let bh = 0; bh < B * H; bh++)
      for (let i = 0; i < P; i++)
        for (let j = i + 1; j < P; j++) expect(res.dScores[(bh * P + i) * P + j]).toBe(0);
  });
});

describe('MLP backward', () => {
  for (const [gated, act] of [
    [false, 'relu'],
    [false, 'gelu'],
    [true, 'relu'],
    [true, 'gelu_new'],
  ] as const) {
    it(`matches finite differences (${gated ? 'gated' : 'plain'} ${act})`, () => {
      const rand = seededRandom(11);
      const [rows, d, m] = [3, 4, 5];
      const x = randomArray(rand, rows * d);
      const Win = randomArray(rand, d * m);
      const Wgate = randomArray(rand, d * m);
      const bin = randomArray(rand, m);
      const Wout = randomArray(rand, m * d);
      const bout = randomArray(rand, d);
      const c = randomArray(rand, rows * d);
      const fn = ACTIVATIONS[act];
      const forward = () => {
        const pre = new Float64Array(rows * m);
        const post = new Float64Array(rows * m);
        const out = new Float64Array(rows * d);
        for (let r = 0; r < rows; r++) {
          for (let n = 0; n < m; n++) {
            let lin = 0;
            let gate = 0;
            for (let i = 0; i < d; i++) {
              lin += x[r * d + i] * Win[i * m + n];
              gate += x[r * d + i] * Wgate[i * m + n];
            }
            pre[r * m + n] = gated ? gate : lin + bin[n];
            post[r * m + n] = gated ? fn(gate) * lin + bin[n] : fn(lin + bin[n]);
          }
          for (let j = 0; j < d; j++) {
            let s = bout[j];
            for (let n = 0; n < m; n++) s += post[r * m + n] * Wout[n * d + j];
            out[r * d + j] = s;
          }
        }
        return { pre, post, out };
      };
      const fw = forward();
      const grads = {
        W_in: new Float32Array(d * m),
        W_gate: new Float32Array(d * m),
        b_in: new Float32Array(m),
        W_out: new Float32Array(m * d),
        b_out: new Float32Array(d),
      };
      const t = (a: Float64Array, shape: number[]) => new Tensor(f32(a), shape);
      const res = mlpBackward(
        gemm,
        { rows, d, m, activationFn: act },
        {
          W_in: t(Win, [d, m]),
          b_in: t(bin, [m]),
          W_out: t(Wout, [m, d]),
          b_out: t(bout, [d]),
          ...(gated ? { W_gate: t(Wgate, [d, m]) } : {}),
        },
        { x: f32(x), pre: f32(fw.pre), post: f32(fw.post) },
        f32(c),
        grads,
      );
      const f = () => dot(c, forward().out);
      expectGradient(res.dx, f, x, 'dx');
      expectGradient(grads.W_in, f, Win, 'W_in');
      expectGradient(grads.b_in, f, bin, 'b_in');
      expectGradient(grads.W_out, f, Wout, 'W_out');
      expectGradient(grads.b_out, f, bout, 'b_out');
      if (gated) expectGradient(grads.W_gate, f, Wgate, 'W_gate');
    });
  }
});

describe('cross-entropy', () => {
  it('matches finite differences, ignores padded targets and reports accuracy', () => {
    const rand = seededRandom(2);
    const A = 4;
    const logits = randomArray(rand, 5 * A, 3);
    const targets = [1, 4, 0, 3, 4]; // 4 = ignored pad id
    const counted = [0, 2, 3];
    const loss64 = () => {
      let s = 0;
      for (const i of counted) {
        const row = Array.from(logits.subarray(i * A, (i + 1) * A));
        const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        s += lse - row[targets[i]];
      }
      return s / counted.length;
    };
    const res = crossEntropy(f32(logits), targets, A, 4);
    expect(res.count).toBe(3);
    expect(res.loss).toBeCloseTo(loss64(), 5);
    expectGradient(res.dLogits, loss64, logits, 'dLogits');
    const argmax = (i: number) => {
      const row = Array.from(logits.subarray(i * A, (i + 1) * A));
      return row.indexOf(Math.max(...row));
    };
    expect(res.correct).toBe(counted.filter((i) => argmax(i) === targets[i]).length);
  });
  it('rejects targets outside the classes', () => {
    expect(() => crossEntropy(new Float32Array(4), [7, 0], 2, 9)).toThrow(/outside/);
  });
});
