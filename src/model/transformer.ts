/**
 * The TransformerLens 1.2.2 core as DTI configures it (identity embed/unembed, learned W_pos):
 * tokens [B, P, d] -> final residual after ln_final [B, P, d], with every hook point.
 * GEMMs go through a `Gemm`; Q/K/V and gate/in projections are fused into single products.
 */
import { DtlensError, check } from '../errors.ts';
import type { Gemm } from '../tensor/gemm.ts';
import {
  activate,
  addRowBiasInPlace,
  applyLayerNorm,
  layerNormStats,
  softmaxRowsInPlace,
} from '../tensor/ops.ts';
import { ScratchPool } from '../tensor/scratch.ts';
import { Tensor, shapeString } from '../tensor/tensor.ts';
import type { DTArchitecture } from './architecture.ts';
import type { HookRunner } from './hooks.ts';
import type { BlockWeights, DTWeights, LayerNormWeights } from './weights.ts';

/** TransformerLens's IGNORE value for masked attention scores. */
export const MASKED_SCORE = -100000;

/** Per-block weights rearranged for fused GEMMs; built once per weights object. */
interface CompiledBlock {
  /** [d, 3*H*dh]: columns q heads, then k heads, then v heads */
  W_QKV: Float32Array;
  /** [3*H*dh] */
  b_QKV: Float32Array;
  /** [d, m] or, for gated MLPs, [d, 2m] = [W_gate | W_in] */
  W_mlpIn: Float32Array;
}

const compiledCache = new WeakMap<BlockWeights, CompiledBlock>();

/** Buffers of the intermediates that never leave a function (fused products, per-head panels). */
const scratch = new ScratchPool();

/** Drops a block's fused weights so the next forward rebuilds them (call after updating weights in place). */
export const invalidateCompiled = (block: BlockWeights): boolean => compiledCache.delete(block);

function compileBlock(b: BlockWeights): CompiledBlock {
  const cached = compiledCache.get(b);
  if (cached) return cached;
  const [H, d, dh] = b.attn.W_Q.shape;
  const hd = H * dh;
  const W_QKV = new Float32Array(d * 3 * hd);
  const b_QKV = new Float32Array(3 * hd);
  [b.attn.W_Q, b.attn.W_K, b.attn.W_V].forEach((W, part) => {
    for (let h = 0; h < H; h++)
      for (let i = 0; i < d; i++)
        for (let e = 0; e < dh; e++)
          W_QKV[i * 3 * hd + part * hd + h * dh + e] = W.data[(h * d + i) * dh + e];
  });
  [b.attn.b_Q, b.attn.b_K, b.attn.b_V].forEach((bias, part) => b_QKV.set(bias.data, part * hd));
  let W_mlpIn = b.mlp.W_in.data;
  if (b.mlp.W_gate) {
    const m = b.mlp.W_in.shape[1];
    W_mlpIn = new Float32Array(d * 2 * m);
    for (let i = 0; i < d; i++) {
      W_mlpIn.set(b.mlp.W_gate.data.subarray(i * m, (i + 1) * m), i * 2 * m);
      W_mlpIn.set(b.mlp.W_in.data.subarray(i * m, (i + 1) * m), i * 2 * m + m);
    }
  }
  const compiled = { W_QKV, b_QKV, W_mlpIn };
  compiledCache.set(b, compiled);
  return compiled;
}

/** What a fused core run computes beyond the output: cached hook points and the last-position readout. */
export interface FusedRunOptions {
  /** Hook points to return (TransformerLens names and layouts, as the TS core caches them). */
  cache?: readonly string[];
  /**
   * The last-position readout of `TransformerContext.lastPositionOnly`: the output is [B, 1, d] and
   * every returned activation holds the last token only, as `HookRunner` caches a last-position run.
   */
  lastPositionOnly?: boolean;
}

/**
 * A backend that runs the whole transformer core without hooks in one call (e.g. one ONNX graph):
 * tokens [B, P, d] -> the output after ln_final [B, P, d] and the activations of `options.cache`,
 * numerically the same as `runTransformer` within float32 rounding. `run` returns null for
 * architectures or hook points it does not cover (the caller then uses `runTransformer`). It must
 * read `weights` on every call: training updates them in place.
 */
export interface FusedCore {
  readonly name: string;
  run(
    arch: DTArchitecture,
    weights: DTWeights,
    tokens: Tensor,
    options?: FusedRunOptions,
  ): { out: Tensor; acts: Map<string, Tensor> } | null;
}

/** Throws unless `P` token positions fit the model's context. */
export function checkContext(arch: DTArchitecture, P: number): void {
  if (P > arch.nCtx) {
    throw new DtlensError('BAD_SHAPE', `${P} token positions exceed the model's context of ${arch.nCtx}`);
  }
}

export interface TransformerContext {
  arch: DTArchitecture;
  weights: DTWeights;
  gemm: Gemm;
  hooks: HookRunner;
  /**
   * Last-position readout: the last block computes attention queries, outputs and the MLP only at the
   * last token, and the output is [B, 1, d] (what a metric on the last token needs, at a fraction of
   * the last layer's cost). Hook points after the attention pattern in that block hold only the last
   * position (`HookContext.positions`); everything before it is computed in full.
   */
  lastPositionOnly?: boolean;
}

/** Runs the transformer on token embeddings [B, P, d]; returns the output after ln_final [B, P, d]. */
export function runTransformer(ctx: TransformerContext, tokens: Tensor): Tensor {
  const { arch, weights, hooks } = ctx;
  const [B, P, d] = tokens.shape;
  checkContext(arch, P);
  // Hooks may edit activations in place: they get a copy of the caller's tokens, never the tokens.
  const embed = hooks.point('hook_embed', hooks.wants('hook_embed') ? tokens.clone() : tokens);
  const posData = new Float32Array(B * P * d);
  for (let b = 0; b < B; b++) posData.set(weights.W_pos.data.subarray(0, P * d), b * P * d);
  const pos = hooks.point('hook_pos_embed', new Tensor(posData, [B, P, d]));
  return runTransformerFrom(ctx, 0, addTensors(embed, pos));
}

/**
 * Runs blocks `layer..nLayers-1` and ln_final on a residual stream [B, P, d] given as the input of
 * `blocks.{layer}.hook_resid_pre` (layer = nLayers: ln_final only). Hook points before that one do not
 * fire. With the residual of a full run this gives the full run's output bit for bit, so runs that only
 * change layer `layer` onward can reuse the unchanged prefix. `residPre` itself is never modified.
 */
export function runTransformerFrom(ctx: TransformerContext, layer: number, residPre: Tensor): Tensor {
  const { arch, weights } = ctx;
  const [, P, d] = residPre.shape;
  check(
    Number.isInteger(layer) && layer >= 0 && layer <= arch.nLayers,
    'BAD_INPUT',
    () => `start layer ${layer} is outside 0..${arch.nLayers}`,
  );
  check(
    residPre.rank === 3 && d === arch.dModel,
    'BAD_SHAPE',
    () => `the residual stream must have shape [B, P, ${arch.dModel}], got ${shapeString(residPre.shape)}`,
  );
  checkContext(arch, P);
  const first = `blocks.${layer}.hook_resid_pre`;
  let resid = layer < arch.nLayers && ctx.hooks.wants(first) ? residPre.clone() : residPre;
  for (let l = layer; l < arch.nLayers; l++) resid = runBlock(ctx, l, resid);
  const last = ctx.lastPositionOnly ? [P - 1] : undefined;
  if (last && resid.shape[1] === P) resid = fromPosition(resid, P - 1);
  if (!arch.normalization) return resid;
  return normalize(ctx, 'ln_final', resid, weights.lnFinal, last);
}

/** Positions `from..P-1` of x [B, P, ...] as a new tensor [B, P - from, ...]. */
function fromPosition(x: Tensor, from: number): Tensor {
  const [B, P] = x.shape;
  const inner = x.size / (B * P);
  const keep = P - from;
  const out = new Float32Array(B * keep * inner);
  for (let b = 0; b < B; b++)
    out.set(x.data.subarray((b * P + from) * inner, (b + 1) * P * inner), b * keep * inner);
  return new Tensor(out, [B, keep, ...x.shape.slice(2)]);
}

function runBlock(ctx: TransformerContext, l: number, residIn: Tensor): Tensor {
  const { hooks } = ctx;
  const p = `blocks.${l}`;
  const block = ctx.weights.blocks[l];
  const P = residIn.shape[1];
  // Last-position readout: from the attention scores on, the last block keeps only the last token.
  const q0 = ctx.lastPositionOnly && l === ctx.arch.nLayers - 1 ? P - 1 : 0;
  const pos = q0 > 0 ? [q0] : undefined;
  const resid = hooks.point(`${p}.hook_resid_pre`, residIn);
  const attnIn = ctx.arch.normalization ? normalize(ctx, `${p}.ln1`, resid, block.ln1) : resid;
  const attnOut = hooks.point(`${p}.hook_attn_out`, attention(ctx, l, attnIn, q0), pos);
  const residKept = q0 > 0 ? fromPosition(resid, q0) : resid;
  const residMid = hooks.point(`${p}.hook_resid_mid`, addTensors(residKept, attnOut), pos);
  const mlpIn = ctx.arch.normalization ? normalize(ctx, `${p}.ln2`, residMid, block.ln2, pos) : residMid;
  const mlpOut = hooks.point(`${p}.hook_mlp_out`, mlp(ctx, l, mlpIn, pos), pos);
  return hooks.point(`${p}.hook_resid_post`, addTensors(residMid, mlpOut), pos);
}

/** LayerNorm ("LN": with w, b) or LayerNormPre, with hook_scale and hook_normalized. */
function normalize(
  ctx: TransformerContext,
  prefix: string,
  x: Tensor,
  ln: LayerNormWeights | undefined,
  pos?: readonly number[],
): Tensor {
  const stats = layerNormStats(x);
  const scale = ctx.hooks.point(`${prefix}.hook_scale`, stats.scale, pos);
  let affine: LayerNormWeights | undefined;
  if (ctx.arch.normalization === 'LN') {
    if (!ln) throw new DtlensError('BAD_CHECKPOINT', `LayerNorm weights for ${prefix} are missing`);
    affine = ln;
  }
  return ctx.hooks.point(`${prefix}.hook_normalized`, applyLayerNorm(x, stats.mean, scale, affine), pos);
}

function addTensors(a: Tensor, b: Tensor): Tensor {
  const out = new Float32Array(a.size);
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
  return new Tensor(out, a.shape);
}

/**
 * Causal multi-head attention of block l on its (normalized) input x [B, P, d], for the queries at
 * positions q0..P-1 (q0 = 0: every position): returns [B, P - q0, d].
 */
function attention(ctx: TransformerContext, l: number, x: Tensor, q0: number): Tensor {
  const { arch, gemm, hooks } = ctx;
  const block = ctx.weights.blocks[l];
  const compiled = compileBlock(block);
  const [B, P, d] = x.shape;
  const { nHeads: H, dHead: dh } = arch;
  const hd = H * dh;
  const rows = B * P;
  const Pq = P - q0;
  const pos = q0 > 0 ? Array.from({ length: Pq }, (_, i) => q0 + i) : undefined;
  const prefix = `blocks.${l}.attn`;
  // x W_QKV without its bias: the bias is added while the rows are rearranged below.
  const qkv = gemm.matmul(x.data, compiled.W_QKV, rows, d, 3 * hd, { out: scratch.borrow(rows * 3 * hd) });
  // Per (batch, head) panels [B*H, P, dh] for the batched products. The [B, P, H, dh] hook tensors
  // are materialised only when a hook or the cache asks for them.
  const [qh, kh, vh] = [0, 1, 2].map((part) => {
    const name = `${prefix}.hook_${'qkv'[part]}`;
    const from = part === 0 ? q0 : 0; // queries only where they are read
    const bias = compiled.b_QKV.subarray(part * hd, (part + 1) * hd);
    const layout = { B, P, H, dh, from };
    if (!hooks.wants(name)) return headMajorFromRows(qkv, 3 * hd, part * hd, bias, layout);
    const t = new Float32Array(rows * hd);
    for (let r = 0; r < rows; r++) {
      const src = r * 3 * hd + part * hd;
      for (let i = 0; i < hd; i++) t[r * hd + i] = qkv[src + i] + bias[i];
    }
    const hooked = hooks.point(name, new Tensor(t, [B, P, H, dh]));
    return headMajorFromRows(hooked.data, hd, 0, null, layout);
  });
  scratch.release(qkv);
  const scoresName = `${prefix}.hook_attn_scores`;
  const patternName = `${prefix}.hook_pattern`;
  // Scores and pattern stay internal unless a hook or the cache reads them.
  const internal = !hooks.wants(scoresName) && !hooks.wants(patternName);
  const scores = gemm.bmm(qh, kh, B * H, Pq, dh, P, {
    transB: true,
    ...(internal && { out: scratch.borrow(B * H * Pq * P) }),
  });
  scratch.release(qh);
  scratch.release(kh);
  const invScale = 1 / Math.sqrt(dh);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < Pq; i++) {
      const o = (bh * Pq + i) * P;
      const q = q0 + i;
      for (let j = 0; j <= q; j++) scores[o + j] *= invScale;
      for (let j = q + 1; j < P; j++) scores[o + j] = MASKED_SCORE;
    }
  }
  let pattern: Tensor;
  if (hooks.wants(scoresName)) {
    const hookedScores = hooks.point(scoresName, new Tensor(scores, [B, H, Pq, P]), pos);
    const patternData = hookedScores.data === scores ? scores.slice() : hookedScores.data.slice();
    softmaxRowsInPlace(patternData, P);
    pattern = new Tensor(patternData, [B, H, Pq, P]);
  } else {
    causalSoftmaxInPlace(scores, P, q0);
    pattern = new Tensor(scores, [B, H, Pq, P]);
  }
  pattern = hooks.point(patternName, pattern, pos);
  const zh = gemm.bmm(pattern.data, vh, B * H, Pq, P, dh, { out: scratch.borrow(B * H * Pq * dh) });
  scratch.release(vh);
  if (internal) scratch.release(scores);
  const zRows = fromHeadMajor(zh, B, Pq, H, dh);
  scratch.release(zh);
  const z = hooks.point(`${prefix}.hook_z`, zRows, pos);
  const out = gemm.matmul(z.data, block.attn.W_O.data, B * Pq, hd, d);
  addRowBiasInPlace(out, block.attn.b_O.data);
  return new Tensor(out, [B, Pq, d]);
}

/**
 * Softmax over each row of [rows, P] score matrices (queries q0..P-1, cycling) whose entries right of
 * the diagonal are masked: exactly what a full softmax gives them (exp(-1e5 - max) is 0), without
 * computing it.
 */
function causalSoftmaxInPlace(data: Float32Array, P: number, q0: number): void {
  const Pq = P - q0;
  for (let o = 0, r = 0; o < data.length; o += P, r = (r + 1) % Pq) {
    const i = q0 + r;
    let max = -Infinity;
    for (let j = 0; j <= i; j++) if (data[o + j] > max) max = data[o + j];
    let sum = 0;
    for (let j = 0; j <= i; j++) {
      const e = Math.exp(data[o + j] - max);
      data[o + j] = e;
      sum += e;
    }
    for (let j = 0; j <= i; j++) data[o + j] /= sum;
    for (let j = i + 1; j < P; j++) data[o + j] = 0;
  }
}

/** Batch size, token count, heads and head size of a per-head layout, and its first position. */
interface HeadLayout {
  B: number;
  P: number;
  H: number;
  dh: number;
  from: number;
}

/**
 * Rows [B*P, stride] holding [H, dh] at `offset` (plus `bias` [H*dh] when given) ->
 * [B, H, P - from, dh] (positions from..P-1), in a scratch buffer (release it after use).
 */
function headMajorFromRows(
  src: Float32Array,
  stride: number,
  offset: number,
  bias: Float32Array | null,
  { B, P, H, dh, from }: HeadLayout,
): Float32Array {
  const n = P - from;
  const out = scratch.borrow(B * n * H * dh);
  for (let b = 0; b < B; b++)
    for (let p = from; p < P; p++) {
      const row = (b * P + p) * stride + offset;
      for (let h = 0; h < H; h++) {
        const s = row + h * dh;
        const o = ((b * H + h) * n + p - from) * dh;
        if (bias) for (let e = 0; e < dh; e++) out[o + e] = src[s + e] + bias[h * dh + e];
        else for (let e = 0; e < dh; e++) out[o + e] = src[s + e];
      }
    }
  return out;
}

/** [B, H, P, dh] -> Tensor [B, P, H, dh] */
function fromHeadMajor(data: Float32Array, B: number, P: number, H: number, dh: number): Tensor {
  const out = new Float32Array(data.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let p = 0; p < P; p++) {
        const src = ((b * H + h) * P + p) * dh;
        const o = ((b * P + p) * H + h) * dh;
        for (let e = 0; e < dh; e++) out[o + e] = data[src + e];
      }
  return new Tensor(out, [B, P, H, dh]);
}

/**
 * The MLP of block l (plain or TL 1.2.2 GatedMLP) on its (normalized) input x [B, P, d]; `pos` = the
 * positions x holds when not all (passed to the hooks).
 */
function mlp(ctx: TransformerContext, l: number, x: Tensor, pos?: readonly number[]): Tensor {
  const { arch, gemm, hooks } = ctx;
  const block = ctx.weights.blocks[l];
  const { b_in, W_out, b_out } = block.mlp;
  const compiled = compileBlock(block);
  const [B, P, d] = x.shape;
  const m = arch.dMlp;
  const rows = B * P;
  const p = `blocks.${l}.mlp`;
  let post: Tensor;
  if (arch.gatedMlp) {
    // One product [rows, 2m] = [x W_gate | x W_in]; the gate half is hook_pre.
    const both = gemm.matmul(x.data, compiled.W_mlpIn, rows, d, 2 * m, { out: scratch.borrow(rows * 2 * m) });
    const bGate = block.mlp.b_gate?.data;
    const bLin = block.mlp.b_linear?.data;
    const bIn = b_in.data;
    let act: Float32Array;
    if (arch.activationFn === 'relu' && !hooks.wants(`${p}.hook_pre`)) {
      // Fast path: relu(gate) * linear + b_in in one pass over the fused product.
      act = new Float32Array(rows * m);
      for (let r = 0; r < rows; r++) {
        const g = r * 2 * m;
        const o = r * m;
        for (let i = 0; i < m; i++) {
          const pre = both[g + i] + (bGate ? bGate[i] : 0);
          act[o + i] = pre > 0 ? pre * (both[g + m + i] + (bLin ? bLin[i] : 0)) + bIn[i] : bIn[i];
        }
      }
    } else {
      const gate = new Float32Array(rows * m);
      for (let r = 0; r < rows; r++) gate.set(both.subarray(r * 2 * m, r * 2 * m + m), r * m);
      if (bGate) addRowBiasInPlace(gate, bGate);
      const pre = hooks.point(`${p}.hook_pre`, new Tensor(gate, [B, P, m]), pos);
      act = activationWithHooks(ctx, p, pre, pos);
      for (let r = 0; r < rows; r++) {
        const lin = r * 2 * m + m;
        const o = r * m;
        for (let i = 0; i < m; i++) act[o + i] = act[o + i] * (both[lin + i] + (bLin ? bLin[i] : 0)) + bIn[i];
      }
    }
    scratch.release(both);
    post = hooks.point(`${p}.hook_post`, new Tensor(act, [B, P, m]), pos);
  } else {
    const preData = gemm.matmul(x.data, compiled.W_mlpIn, rows, d, m);
    addRowBiasInPlace(preData, b_in.data);
    const pre = hooks.point(`${p}.hook_pre`, new Tensor(preData, [B, P, m]), pos);
    post = hooks.point(`${p}.hook_post`, new Tensor(activationWithHooks(ctx, p, pre, pos), [B, P, m]), pos);
  }
  const out = gemm.matmul(post.data, W_out.data, rows, m, d);
  addRowBiasInPlace(out, b_out.data);
  return new Tensor(out, [B, P, d]);
}

/** act_fn(pre); for solu_ln also hook_mid and the inner layer norm. Returns fresh data. */
function activationWithHooks(
  ctx: TransformerContext,
  prefix: string,
  pre: Tensor,
  pos?: readonly number[],
): Float32Array {
  const activated = activate(pre, ctx.arch.activationFn);
  if (ctx.arch.activationFn !== 'solu_ln') return activated.data;
  const mid = ctx.hooks.point(`${prefix}.hook_mid`, activated, pos);
  if (!ctx.arch.normalization) return mid.data.slice();
  const block = ctx.weights.blocks[Number(prefix.split('.')[1])];
  return normalize(ctx, `${prefix}.ln`, mid, block.mlp.ln, pos).data.slice();
}
