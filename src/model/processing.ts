/**
 * Weight processing. Three variants of one checkpoint:
 * - `raw`: the trained weights as stored (default);
 * - `processed`: TransformerLens-style folding (LN folded into the next weights, LN -> LNPre, value
 *   biases folded into b_O, ln_final folded into the predictors), exact for every architecture: a
 *   gated MLP's W_gate is folded too, with the gate and linear-branch biases dtlens adds for it;
 * - `dti-compat`: exactly what DTI's app does (`dti_spec.md` §1.9), quirks included: W_gate is left
 *   unfolded and ln2's bias goes into b_in, which TL's GatedMLP adds after the gated product.
 */
import { Tensor } from '../tensor/tensor.ts';
import type { DTArchitecture } from './architecture.ts';
import type {
  AttentionWeights,
  BlockWeights,
  DTWeights,
  LayerNormWeights,
  LinearWeights,
  MlpWeights,
} from './weights.ts';

export type WeightVariant = 'raw' | 'processed' | 'dti-compat';
export const WEIGHT_VARIANTS: readonly WeightVariant[] = ['raw', 'processed', 'dti-compat'];

export function processWeights(
  arch: DTArchitecture,
  weights: DTWeights,
  variant: WeightVariant,
): { arch: DTArchitecture; weights: DTWeights } {
  if (variant === 'raw') return { arch, weights };
  const foldLn = arch.normalization === 'LN';
  const exactGate = variant === 'processed';
  const blocks = weights.blocks.map((b) => {
    const attn = foldLn ? foldLnIntoAttention(b.attn, b.ln1!) : b.attn;
    const mlp = foldLn ? foldLnIntoMlp(b.mlp, b.ln2!, exactGate) : b.mlp;
    const block: BlockWeights = { attn: foldValueBiases(attn), mlp };
    return block;
  });
  const lnFinal = foldLn ? weights.lnFinal! : undefined;
  const foldPredictor = (p: LinearWeights | undefined) => (p && lnFinal ? foldLnIntoLinear(p, lnFinal) : p);
  const processed: DTWeights = {
    ...weights,
    blocks,
    lnFinal: undefined,
    actionPredictor: foldPredictor(weights.actionPredictor)!,
    statePredictor: foldPredictor(weights.statePredictor),
    rewardPredictor: foldPredictor(weights.rewardPredictor),
  };
  return { arch: { ...arch, normalization: foldLn ? 'LNPre' : arch.normalization }, weights: processed };
}

/**
 * Folds a layer norm (w, b) into the weight W [..., d, n] that reads it:
 * bias += Σ_d W[d,:]·b[d]; W *= w[d]; W -= mean over d. Returns the new W and the bias term [.., n].
 * `W` is viewed as [groups, d, n].
 */
function foldLnIntoReader(W: Tensor, ln: LayerNormWeights): { W: Tensor; bias: Float32Array } {
  const d = ln.w.length;
  const n = W.shape[W.rank - 1];
  const groups = W.size / (d * n);
  const out = new Float32Array(W.size);
  const bias = new Float32Array(groups * n);
  for (let g = 0; g < groups; g++) {
    for (let e = 0; e < n; e++) {
      let b = 0;
      let mean = 0;
      for (let i = 0; i < d; i++) {
        const w = W.data[(g * d + i) * n + e];
        b += w * ln.b[i];
        const scaled = Math.fround(w * ln.w[i]);
        out[(g * d + i) * n + e] = scaled;
        mean += scaled;
      }
      mean /= d;
      for (let i = 0; i < d; i++) out[(g * d + i) * n + e] -= mean;
      bias[g * n + e] = b;
    }
  }
  return { W: new Tensor(out, W.shape), bias };
}

const plus = (a: Tensor | undefined, b: Float32Array, shape: readonly number[]): Tensor => {
  const out = new Float32Array(b.length);
  for (let i = 0; i < out.length; i++) out[i] = (a ? a.data[i] : 0) + b[i];
  return new Tensor(out, shape);
};

function foldLnIntoAttention(a: AttentionWeights, ln1: LayerNormWeights): AttentionWeights {
  const q = foldLnIntoReader(a.W_Q, ln1);
  const k = foldLnIntoReader(a.W_K, ln1);
  const v = foldLnIntoReader(a.W_V, ln1);
  return {
    ...a,
    W_Q: q.W,
    W_K: k.W,
    W_V: v.W,
    b_Q: plus(a.b_Q, q.bias, a.b_Q.shape),
    b_K: plus(a.b_K, k.bias, a.b_K.shape),
    b_V: plus(a.b_V, v.bias, a.b_V.shape),
  };
}

function foldLnIntoMlp(m: MlpWeights, ln2: LayerNormWeights, exactGate: boolean): MlpWeights {
  const fin = foldLnIntoReader(m.W_in, ln2);
  const shape = m.b_in.shape;
  if (!m.W_gate || !exactGate) return { ...m, W_in: fin.W, b_in: plus(m.b_in, fin.bias, shape) };
  const gate = foldLnIntoReader(m.W_gate, ln2);
  return {
    ...m,
    W_in: fin.W,
    b_linear: plus(m.b_linear, fin.bias, shape),
    W_gate: gate.W,
    b_gate: plus(m.b_gate, gate.bias, shape),
  };
}

/** b_O += Σ_h b_V[h] @ W_O[h]; b_V = 0 (exact: attention patterns sum to one). */
function foldValueBiases(a: AttentionWeights): AttentionWeights {
  const [H, dh, d] = a.W_O.shape;
  const bO = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    let s = a.b_O.data[j];
    for (let h = 0; h < H; h++)
      for (let e = 0; e < dh; e++) s += a.b_V.data[h * dh + e] * a.W_O.data[(h * dh + e) * d + j];
    bO[j] = s;
  }
  return { ...a, b_O: new Tensor(bO, [d]), b_V: Tensor.zeros(a.b_V.shape) };
}

/** A predictor reading ln_final's output: W' = W * w[None, :], bias' = bias + W @ b (no centring). */
function foldLnIntoLinear(p: LinearWeights, ln: LayerNormWeights): LinearWeights {
  const [nOut, d] = p.W.shape;
  const W = new Float32Array(p.W.size);
  const b = new Float32Array(nOut);
  for (let o = 0; o < nOut; o++) {
    let s = p.b ? p.b.data[o] : 0;
    for (let i = 0; i < d; i++) {
      W[o * d + i] = p.W.data[o * d + i] * ln.w[i];
      s += p.W.data[o * d + i] * ln.b[i];
    }
    b[o] = s;
  }
  return { W: new Tensor(W, p.W.shape), b: new Tensor(b, [nOut]) };
}
