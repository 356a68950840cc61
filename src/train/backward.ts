/**
 * Reverse-mode gradients of a Decision Transformer from one cached forward pass (`run(..., { cache: true })`):
 * no second forward, every op's backward reads the activations the cache holds. Returns the gradients
 * of the weights by state-dict name and of the activations by hook name (dL/d activation, as
 * attribution patching needs them). Hooks that edited activations during the forward are treated as
 * identities: the backward differentiates the model at the cached values.
 */
import { check } from '../errors.ts';
import type { ActivationCache } from '../model/activationCache.ts';
import type { DecisionTransformer, DTInputs } from '../model/decisionTransformer.ts';
import type { LayerNormWeights } from '../model/weights.ts';
import { isLinearTimeEmbedding } from '../model/weights.ts';
import { Tensor } from '../tensor/tensor.ts';
import { attentionBackward } from './grad/attention.ts';
import { tokenEmbeddingBackward } from './grad/embeddings.ts';
import { headBackward } from './grad/heads.ts';
import { layerNormBackward } from './grad/layerNorm.ts';
import { mlpBackward } from './grad/mlp.ts';
import { trainableParameters, zeroGrads } from './parameters.ts';

export interface OutputGrads {
  /** dL/d action_preds [B, T, A] (DTI `get_logits`: read at the s tokens). */
  actionPreds?: Tensor;
  /** dL/d transformer output (after ln_final) [B, P, d], e.g. for a logit-difference metric. */
  transformerOut?: Tensor;
  /** dL/d `blocks.{layer}.mlp.hook_pre` [B, P, m] by layer, for a loss read inside the model (DTI's neuron metric). */
  mlpPre?: ReadonlyMap<number, Tensor>;
}

export interface BackwardOptions {
  /** The forward's inputs: needed for the embedding-weight gradients (omit to stop at hook_embed). */
  inputs?: DTInputs;
  /** The forward ran with `actions: null` (DTI's 2-token read-out). */
  noActions?: boolean;
}

export interface BackwardResult {
  /** dL/dW by state-dict name (every trainable parameter; embeddings only with `inputs`). */
  weightGrads: Map<string, Float32Array>;
  /** dL/d activation by hook name, same shapes as the cache (hook_scale excluded). */
  activationGrads: Map<string, Tensor>;
}

export function backward(
  model: DecisionTransformer,
  cache: ActivationCache,
  outputGrads: OutputGrads,
  options: BackwardOptions = {},
): BackwardResult {
  const { arch, weights, gemm } = model;
  const embed = cache.get('hook_embed');
  const [B, P, d] = embed.shape;
  const rows = B * P;
  const { nHeads: H, dHead: dh, dMlp: m, nLayers: L } = arch;
  const weightGrads = zeroGrads(trainableParameters(weights));
  const g = (name: string) => weightGrads.get(name);
  const activationGrads = new Map<string, Tensor>();
  const record = (name: string, data: Float32Array, shape = [B, P, d]) =>
    activationGrads.set(name, new Tensor(data, shape));

  const out = transformerOutput(model, cache);
  const dOut = new Float32Array(rows * d);
  if (outputGrads.transformerOut) {
    check(
      outputGrads.transformerOut.size === dOut.length,
      'BAD_SHAPE',
      'transformerOut gradient must be [B, P, d]',
    );
    dOut.set(outputGrads.transformerOut.data);
  }
  if (outputGrads.actionPreds) {
    const [, T] = outputGrads.actionPreds.shape;
    const position = options.noActions ? (t: number) => 2 * t + 1 : (t: number) => 3 * t + 1;
    headBackward(
      gemm,
      weights.actionPredictor,
      out,
      { B, P, T, d },
      position,
      outputGrads.actionPreds.data,
      dOut,
      {
        dW: g('action_predictor.weight'),
        db: g('action_predictor.bias'),
      },
    );
  }

  const normBackward = (
    prefix: string,
    stateDictPrefix: string,
    x: Float32Array,
    ln: LayerNormWeights | undefined,
    dy: Float32Array,
  ) => {
    record(`${prefix}.hook_normalized`, dy);
    const scale = cache.get(`${prefix}.hook_scale`).data;
    const affine =
      arch.normalization === 'LN' && ln
        ? { w: ln.w, dw: g(`${stateDictPrefix}.w`), db: g(`${stateDictPrefix}.b`) }
        : undefined;
    return layerNormBackward(x, scale, dy, d, affine);
  };

  const preSeed = (l: number) => {
    const seed = outputGrads.mlpPre?.get(l);
    check(
      !seed || seed.size === rows * m,
      'BAD_SHAPE',
      `the mlp.hook_pre gradient of layer ${l} must be [B, P, m]`,
    );
    return seed?.data;
  };

  let dResid: Float32Array = dOut;
  if (arch.normalization) {
    const finalIn = L > 0 ? cache.get(`blocks.${L - 1}.hook_resid_post`).data : residStream0(cache);
    dResid = normBackward('ln_final', 'transformer.ln_final', finalIn, weights.lnFinal, dOut);
  }
  for (let l = L - 1; l >= 0; l--) {
    const p = `blocks.${l}`;
    const sd = `transformer.blocks.${l}`;
    const block = weights.blocks[l];
    record(`${p}.hook_resid_post`, dResid);
    record(`${p}.hook_mlp_out`, dResid);
    const residMid = cache.get(`${p}.hook_resid_mid`).data;
    const mlpIn = arch.normalization ? cache.get(`${p}.ln2.hook_normalized`).data : residMid;
    const mlp = mlpBackward(
      gemm,
      { rows, d, m, activationFn: arch.activationFn },
      block.mlp,
      { x: mlpIn, pre: cache.get(`${p}.mlp.hook_pre`).data, post: cache.get(`${p}.mlp.hook_post`).data },
      dResid,
      {
        W_in: g(`${sd}.mlp.W_in`),
        b_in: g(`${sd}.mlp.b_in`),
        W_gate: g(`${sd}.mlp.W_gate`),
        b_gate: g(`${sd}.mlp.b_gate`),
        b_linear: g(`${sd}.mlp.b_linear`),
        W_out: g(`${sd}.mlp.W_out`),
        b_out: g(`${sd}.mlp.b_out`),
      },
      preSeed(l),
    );
    record(`${p}.mlp.hook_post`, mlp.dPost, [B, P, m]);
    record(`${p}.mlp.hook_pre`, mlp.dPre, [B, P, m]);
    const dMid = arch.normalization
      ? normBackward(`${p}.ln2`, `${sd}.ln2`, residMid, block.ln2, mlp.dx)
      : mlp.dx;
    for (let i = 0; i < dMid.length; i++) dMid[i] += dResid[i];
    record(`${p}.hook_resid_mid`, dMid);
    record(`${p}.hook_attn_out`, dMid);
    const residPre = cache.get(`${p}.hook_resid_pre`).data;
    const attnIn = arch.normalization ? cache.get(`${p}.ln1.hook_normalized`).data : residPre;
    const at = (k: string) => g(`${sd}.attn.${k}`);
    const attn = attentionBackward(
      gemm,
      { B, P, H, dh, d },
      block.attn,
      {
        x: attnIn,
        q: cache.get(`${p}.attn.hook_q`).data,
        k: cache.get(`${p}.attn.hook_k`).data,
        v: cache.get(`${p}.attn.hook_v`).data,
        pattern: cache.get(`${p}.attn.hook_pattern`).data,
        z: cache.get(`${p}.attn.hook_z`).data,
      },
      dMid,
      {
        W_Q: at('W_Q'),
        W_K: at('W_K'),
        W_V: at('W_V'),
        W_O: at('W_O'),
        b_Q: at('b_Q'),
        b_K: at('b_K'),
        b_V: at('b_V'),
        b_O: at('b_O'),
      },
    );
    const headShape = [B, P, H, dh];
    record(`${p}.attn.hook_z`, attn.dz, headShape);
    record(`${p}.attn.hook_pattern`, attn.dPattern, [B, H, P, P]);
    record(`${p}.attn.hook_attn_scores`, attn.dScores, [B, H, P, P]);
    record(`${p}.attn.hook_q`, attn.dq, headShape);
    record(`${p}.attn.hook_k`, attn.dk, headShape);
    record(`${p}.attn.hook_v`, attn.dv, headShape);
    const dPre = arch.normalization
      ? normBackward(`${p}.ln1`, `${sd}.ln1`, residPre, block.ln1, attn.dx)
      : attn.dx;
    for (let i = 0; i < dPre.length; i++) dPre[i] += dMid[i];
    record(`${p}.hook_resid_pre`, dPre);
    dResid = dPre;
  }
  record('hook_embed', dResid);
  record('hook_pos_embed', dResid);
  const dPos = g('transformer.pos_embed.W_pos')!;
  for (let b = 0; b < B; b++) for (let i = 0; i < P * d; i++) dPos[i] += dResid[b * P * d + i];
  if (options.inputs) {
    const linearTime = isLinearTimeEmbedding(weights.timeEmbedding);
    tokenEmbeddingBackward(arch, options.inputs, dResid, linearTime, {
      stateEmbedding: g('state_embedding.weight'),
      rtgEmbedding: g('reward_embedding.0.weight'),
      actionEmbedding: g('action_embedding.0.weight'),
      timeEmbedding: g('time_embedding.weight'),
      timeEmbeddingBias: g('time_embedding.bias'),
    });
  }
  return { weightGrads, activationGrads };
}

/** embed + pos: the residual stream entering block 0. */
function residStream0(cache: ActivationCache): Float32Array {
  const e = cache.get('hook_embed').data;
  const p = cache.get('hook_pos_embed').data;
  return e.map((v, i) => v + p[i]);
}

/** The transformer output (after ln_final) from the cache. */
function transformerOutput(model: DecisionTransformer, cache: ActivationCache): Float32Array {
  if (model.arch.normalization) return cache.get('ln_final.hook_normalized').data;
  const L = model.arch.nLayers;
  return L > 0 ? cache.get(`blocks.${L - 1}.hook_resid_post`).data : residStream0(cache);
}
