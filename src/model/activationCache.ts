/**
 * ActivationCache with TransformerLens 1.2.2 semantics: activations by hook name plus the stacking
 * and decomposition helpers (`stackHeadResults`, `decomposeResid`, `accumulatedResid`,
 * `getFullResidDecomposition`, `applyLnToStack`, `logitAttrs`). "layer" means the input to layer l;
 * layer = nLayers means the input to the prediction heads (after the last block).
 * Stacks are Tensors [n_components, B, P, d] with a label per component.
 */
import { DtlensError } from '../errors.ts';
import { Tensor, numelOf } from '../tensor/tensor.ts';
import type { Gemm } from '../tensor/gemm.ts';
import type { DTArchitecture } from './architecture.ts';
import type { DTWeights } from './weights.ts';

export interface ComponentStack {
  /** [n, B, P, d] */
  components: Tensor;
  labels: string[];
}

interface ModelView {
  arch: DTArchitecture;
  weights: DTWeights;
  gemm: Gemm;
}

export class ActivationCache {
  private readonly headResults = new Map<number, Tensor>();

  /**
   * `windowTokens`: the token count P of the run's windows, when the activations hold fewer positions
   * (a last-position run caches the last token only, `RunOptions.lastPositionOnly`); by default the
   * position count of `hook_embed`.
   */
  constructor(
    private readonly acts: ReadonlyMap<string, Tensor>,
    private readonly model: ModelView,
    private readonly windowTokens?: number,
  ) {}

  /** Token count P of the run's windows (activations may hold only their last `shape[1]` positions). */
  get nTokens(): number {
    return this.windowTokens ?? this.get('hook_embed').shape[1];
  }

  get names(): string[] {
    return [...this.acts.keys()];
  }

  has(name: string): boolean {
    return this.acts.has(name);
  }

  /** The activation at hook `name`; throws BAD_INPUT naming what is cached if it is absent. */
  get(name: string): Tensor {
    const t = this.acts.get(name);
    if (!t) {
      throw new DtlensError(
        'BAD_INPUT',
        `"${name}" is not in the cache (run with cache covering it); cached: ${this.names.slice(0, 6).join(', ')}${this.acts.size > 6 ? ', ...' : ''}`,
      );
    }
    return t;
  }

  private resolveLayer(layer: number | undefined): number {
    const n = this.model.arch.nLayers;
    const l = layer === undefined || layer === -1 ? n : layer;
    if (!Number.isInteger(l) || l < 0 || l > n)
      throw new DtlensError('BAD_INPUT', `layer ${layer} is outside 0..${n}`);
    return l;
  }

  /**
   * Per-head outputs z_h @ W_O[h] (no bias) of layer l: [B, P, H, d] (TL `blocks.l.attn.hook_result`),
   * computed on demand from hook_z.
   */
  headResult(l: number): Tensor {
    let r = this.headResults.get(l);
    if (r) return r;
    const z = this.get(`blocks.${l}.attn.hook_z`);
    const { nHeads: H, dHead: dh, dModel: d } = this.model.arch;
    const rows = z.size / (H * dh);
    // Head-major z [H, rows, dh] times W_O [H, dh, d] in one batched product, then back to [rows, H, d].
    const zh = new Float32Array(z.size);
    for (let r0 = 0; r0 < rows; r0++)
      for (let h = 0; h < H; h++)
        zh.set(z.data.subarray((r0 * H + h) * dh, (r0 * H + h + 1) * dh), (h * rows + r0) * dh);
    const perHead = this.model.gemm.bmm(zh, this.model.weights.blocks[l].attn.W_O.data, H, rows, dh, d);
    const out = new Float32Array(rows * H * d);
    for (let h = 0; h < H; h++)
      for (let r0 = 0; r0 < rows; r0++)
        out.set(perHead.subarray((h * rows + r0) * d, (h * rows + r0 + 1) * d), (r0 * H + h) * d);
    r = new Tensor(out, [...z.shape.slice(0, -2), H, d]);
    this.headResults.set(l, r);
    return r;
  }

  /** TL `stack_head_results`: results of every head in layers < layer, labels `L{l}H{h}`. */
  stackHeadResults(layer?: number, opts: { applyLn?: boolean } = {}): ComponentStack {
    const L = this.resolveLayer(layer);
    const { nHeads: H } = this.model.arch;
    const parts: Tensor[] = [];
    const labels: string[] = [];
    for (let l = 0; l < L; l++) {
      const r = this.headResult(l); // [B, P, H, d]
      for (let h = 0; h < H; h++) {
        parts.push(selectAxis(r, r.rank - 2, h));
        labels.push(`L${l}H${h}`);
      }
    }
    const stack = { components: stackTensors(parts, this.residShape()), labels };
    return opts.applyLn ? this.withLn(stack, L, false) : stack;
  }

  /** TL `stack_neuron_results`: post[..., n] * W_out[n] for every neuron of layers < layer, labels `L{l}N{n}`. */
  stackNeuronResults(layer?: number, opts: { applyLn?: boolean } = {}): ComponentStack {
    const L = this.resolveLayer(layer);
    const { dMlp: m, dModel: d } = this.model.arch;
    const parts: Tensor[] = [];
    const labels: string[] = [];
    for (let l = 0; l < L; l++) {
      const post = this.get(`blocks.${l}.mlp.hook_post`);
      const Wout = this.model.weights.blocks[l].mlp.W_out.data;
      const rows = post.size / m;
      for (let n = 0; n < m; n++) {
        const out = new Float32Array(rows * d);
        for (let r = 0; r < rows; r++) {
          const a = post.data[r * m + n];
          for (let j = 0; j < d; j++) out[r * d + j] = a * Wout[n * d + j];
        }
        parts.push(new Tensor(out, [...post.shape.slice(0, -1), d]));
        labels.push(`L${l}N${n}`);
      }
    }
    const stack = { components: stackTensors(parts, this.residShape()), labels };
    return opts.applyLn ? this.withLn(stack, L, false) : stack;
  }

  /** TL `decompose_resid`: embed, pos_embed, then each layer's attn_out and mlp_out below `layer`. */
  decomposeResid(
    layer?: number,
    opts: { mlpInput?: boolean; mode?: 'all' | 'attn' | 'mlp'; applyLn?: boolean; inclEmbeds?: boolean } = {},
  ): ComponentStack {
    const L = this.resolveLayer(layer);
    const mode = opts.mode ?? 'all';
    const inclAttn = mode !== 'mlp';
    const inclMlp = mode !== 'attn';
    const parts: Tensor[] = [];
    const labels: string[] = [];
    const push = (name: string, label: string) => {
      parts.push(this.get(name));
      labels.push(label);
    };
    if (opts.inclEmbeds ?? true) {
      push('hook_embed', 'embed');
      push('hook_pos_embed', 'pos_embed');
    }
    for (let l = 0; l < L; l++) {
      if (inclAttn) push(`blocks.${l}.hook_attn_out`, `${l}_attn_out`);
      if (inclMlp) push(`blocks.${l}.hook_mlp_out`, `${l}_mlp_out`);
    }
    if (opts.mlpInput && inclAttn) push(`blocks.${L}.hook_attn_out`, `${L}_attn_out`);
    const stack = { components: stackTensors(parts, this.residShape()), labels };
    return opts.applyLn ? this.withLn(stack, L, opts.mlpInput ?? false) : stack;
  }

  /** TL 1.2.2 `accumulated_resid`: residual states `{l}_pre` (+ `{l}_mid`) and `final_post`. */
  accumulatedResid(
    layer?: number,
    opts: { inclMid?: boolean; applyLn?: boolean; mlpInput?: boolean } = {},
  ): ComponentStack {
    const L = this.resolveLayer(layer);
    const n = this.model.arch.nLayers;
    const parts: Tensor[] = [];
    const labels: string[] = [];
    for (let l = 0; l <= L; l++) {
      if (l === n) {
        parts.push(this.get(`blocks.${n - 1}.hook_resid_post`));
        labels.push('final_post');
        continue;
      }
      parts.push(this.get(`blocks.${l}.hook_resid_pre`));
      labels.push(`${l}_pre`);
      if ((opts.inclMid && l < L) || (opts.mlpInput && l === L)) {
        parts.push(this.get(`blocks.${l}.hook_resid_mid`));
        labels.push(`${l}_mid`);
      }
    }
    const stack = { components: stackTensors(parts, this.residShape()), labels };
    return opts.applyLn ? this.withLn(stack, L, opts.mlpInput ?? false) : stack;
  }

  /**
   * TL `get_full_resid_decomposition`: every head below `layer` (+ this layer's with mlpInput), then
   * every neuron (expandNeurons) or `{l}_mlp_out`, then embed, pos_embed and the accumulated `bias`.
   * The components sum exactly to the residual stream at that point.
   */
  getFullResidDecomposition(
    layer?: number,
    opts: { mlpInput?: boolean; expandNeurons?: boolean; applyLn?: boolean } = {},
  ): ComponentStack {
    const L = this.resolveLayer(layer);
    const mlpInput = opts.mlpInput ?? false;
    const expand = opts.expandNeurons ?? true;
    const heads = this.stackHeadResults(L + (mlpInput ? 1 : 0));
    const parts: Tensor[] = splitStack(heads.components);
    const labels = [...heads.labels];
    if (L > 0) {
      if (expand) {
        const neurons = this.stackNeuronResults(L);
        parts.push(...splitStack(neurons.components));
        labels.push(...neurons.labels);
      } else {
        for (let l = 0; l < L; l++) {
          parts.push(this.get(`blocks.${l}.hook_mlp_out`));
          labels.push(`${l}_mlp_out`);
        }
      }
    }
    parts.push(this.get('hook_embed'), this.get('hook_pos_embed'));
    labels.push('embed', 'pos_embed');
    parts.push(this.accumulatedBias(L, mlpInput, expand));
    labels.push('bias');
    const stack = { components: stackTensors(parts, this.residShape()), labels };
    return opts.applyLn ? this.withLn(stack, L, mlpInput) : stack;
  }

  /** TL `accumulated_bias`: Σ_{l<layer} (b_O + b_out if includeMlpBiases) (+ b_O[layer] if mlpInput), broadcast to [B, P, d]. */
  accumulatedBias(layer: number, mlpInput: boolean, includeMlpBiases: boolean): Tensor {
    const d = this.model.arch.dModel;
    const bias = new Float32Array(d);
    const blocks = this.model.weights.blocks;
    for (let l = 0; l < layer; l++) {
      for (let j = 0; j < d; j++)
        bias[j] += blocks[l].attn.b_O.data[j] + (includeMlpBiases ? blocks[l].mlp.b_out.data[j] : 0);
    }
    if (mlpInput) for (let j = 0; j < d; j++) bias[j] += blocks[layer].attn.b_O.data[j];
    const shape = this.residShape();
    const out = new Float32Array(numelOf(shape));
    for (let o = 0; o < out.length; o += d) out.set(bias, o);
    return new Tensor(out, shape);
  }

  /**
   * TL `apply_ln_to_stack`: centre each component over d and divide by the cached scale of the norm
   * that reads `layer` (ln1, ln2 with mlpInput, ln_final for layer = nLayers). Identity without norms.
   */
  applyLnToStack(stack: Tensor, layer?: number, opts: { mlpInput?: boolean } = {}): Tensor {
    if (!this.model.arch.normalization) return stack;
    const L = this.resolveLayer(layer);
    const scaleName =
      L === this.model.arch.nLayers
        ? 'ln_final.hook_scale'
        : `blocks.${L}.ln${opts.mlpInput ? 2 : 1}.hook_scale`;
    const scale = this.get(scaleName).data;
    const d = this.model.arch.dModel;
    const rowsPerComponent = scale.length;
    const out = new Float32Array(stack.size);
    for (let o = 0, r = 0; o < out.length; o += d, r++) {
      let mean = 0;
      for (let j = 0; j < d; j++) mean += stack.data[o + j];
      mean /= d;
      const s = scale[r % rowsPerComponent];
      for (let j = 0; j < d; j++) out[o + j] = (stack.data[o + j] - mean) / s;
    }
    return new Tensor(out, stack.shape);
  }

  /**
   * TL `logit_attrs` for the action predictor: apply_ln_to_stack(stack, final) · (W_U[action] −
   * W_U[incorrect]) → [n, B, P]. The predictor bias is not included (DTI's logit difference).
   */
  logitAttrs(stack: Tensor, action: number, incorrectAction?: number): Tensor {
    const dir = this.actionDirection(action, incorrectAction);
    return projectStack(this.applyLnToStack(stack), dir);
  }

  /** W_U[action] (− W_U[incorrect]) as a residual direction [d] (W_U = action predictor weight). */
  actionDirection(action: number, incorrectAction?: number): Float32Array {
    const W = this.model.weights.actionPredictor.W;
    const [A, d] = W.shape;
    for (const a of [action, incorrectAction]) {
      if (a !== undefined && !(Number.isInteger(a) && a >= 0 && a < A)) {
        throw new DtlensError('BAD_INPUT', `action ${a} is outside 0..${A - 1}`);
      }
    }
    const dir = W.data.slice(action * d, (action + 1) * d);
    if (incorrectAction !== undefined) for (let j = 0; j < d; j++) dir[j] -= W.data[incorrectAction * d + j];
    return dir;
  }

  private withLn(stack: ComponentStack, layer: number, mlpInput: boolean): ComponentStack {
    return { components: this.applyLnToStack(stack.components, layer, { mlpInput }), labels: stack.labels };
  }

  /** [B, P, d] of the cached residual stream. */
  private residShape(): number[] {
    return [...this.get('hook_embed').shape];
  }
}

/** Dot product of every d-vector of a stack [..., d] with `dir` [d] → [...]. */
export function projectStack(stack: Tensor, dir: Float32Array): Tensor {
  const d = dir.length;
  const out = new Float32Array(stack.size / d);
  for (let r = 0; r < out.length; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += stack.data[r * d + j] * dir[j];
    out[r] = s;
  }
  return new Tensor(out, stack.shape.slice(0, -1));
}

/** Stacks same-shaped tensors along a new first axis; an empty list gives [0, ...shape]. */
function stackTensors(parts: Tensor[], shape: number[]): Tensor {
  const n = numelOf(shape);
  const out = new Float32Array(parts.length * n);
  parts.forEach((p, i) => out.set(p.data, i * n));
  return new Tensor(out, [parts.length, ...shape]);
}

function splitStack(stack: Tensor): Tensor[] {
  return Array.from({ length: stack.shape[0] }, (_, i) => stack.at(i));
}

/** Selects index i of `axis`, dropping the axis. */
function selectAxis(t: Tensor, axis: number, i: number): Tensor {
  const outer = numelOf(t.shape.slice(0, axis));
  const n = t.shape[axis];
  const inner = numelOf(t.shape.slice(axis + 1));
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++)
    out.set(t.data.subarray((o * n + i) * inner, (o * n + i + 1) * inner), o * inner);
  return new Tensor(out, [...t.shape.slice(0, axis), ...t.shape.slice(axis + 1)]);
}
