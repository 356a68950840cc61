/**
 * `OrtFusedCore`: the hook-free transformer core as one ONNX graph on onnxruntime-node, for batches of
 * predictions (evaluation rollouts, RTG scans, dataset statistics, probe activations). Same math as
 * `runTransformer` (TransformerLens 1.2.2 blocks): ORT fuses the O(n) passes that cost most of the TS
 * core's time at large batch and runs every op on its thread pool. Every hook point of the covered
 * architectures can be a graph output (written straight into arrays of its TL shape), and the
 * last-position readout computes the last block at the last token only, as the TS core does.
 *
 * The residual stream is [B, 1, P, d] so that head-major weights broadcast: q = x · W_Q [H, d, dh] is
 * [B, H, P, dh], and z · W_O [H, dh, d] summed over heads is the attention output. Weights are graph
 * inputs read on every call (training updates them in place); a graph is built once per architecture,
 * set of outputs and readout. Covers LN / LNPre / no normalization, plain and gated MLPs (with the
 * processed variant's gate and linear biases) and relu, gelu and silu; other activations return null.
 */
import type { DTArchitecture } from '../model/architecture.ts';
import { type FusedCore, type FusedRunOptions, MASKED_SCORE, checkContext } from '../model/transformer.ts';
import type { BlockWeights, DTWeights, LayerNormWeights } from '../model/weights.ts';
import { Tensor, numelOf } from '../tensor/tensor.ts';
import { type OnnxNode, type OnnxValue, encodeOnnxModel } from './onnxGraph.ts';
import { type NativeSession, type OrtSessionOptions, OrtTensor, loadOrtSession } from './ortBinding.ts';

const LN_EPS = 1e-5;
const SUPPORTED_ACTIVATIONS = new Set(['relu', 'gelu', 'silu']);

/** A float32 graph input and the data it takes on a call: dims and values. */
interface Feed {
  dims: number[];
  data: Float32Array;
}

/** What the graph of an architecture depends on beyond the symbolic B and P. */
interface GraphShape {
  arch: DTArchitecture;
  gateBias: boolean;
  linearBias: boolean;
}

/** Builds the ONNX graph of the core; its inputs are named as `feeds` names them. */
class CoreGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly inputs: OnnxValue[] = [];
  private counter = 0;

  input(name: string, dims: Array<number | string>): string {
    this.inputs.push({ name, dims });
    return name;
  }

  op(op: string, inputs: string[], attrs?: OnnxNode['attrs']): string {
    const out = `${op.toLowerCase()}_${this.counter++}`;
    this.nodes.push({ op, inputs, outputs: [out], ...(attrs ? { attrs } : {}) });
    return out;
  }

  /** LayerNorm over the last axis; with `scale`, also its TransformerLens scale sqrt(var + eps). */
  layerNorm(x: string, prefix: string, d: number, scale?: string): string {
    const out = `layernorm_${this.counter++}`;
    const invStd = `${out}_inv_std`;
    this.nodes.push({
      op: 'LayerNormalization',
      inputs: [x, this.input(`${prefix}.w`, [d]), this.input(`${prefix}.b`, [d])],
      outputs: scale ? [out, `${out}_mean`, invStd] : [out],
      attrs: { axis: 3, epsilon: { float: LN_EPS } },
    });
    if (scale) this.nodes.push({ op: 'Reciprocal', inputs: [invStd], outputs: [scale] });
    return out;
  }

  activation(x: string, fn: string): string {
    if (fn === 'relu') return this.op('Relu', [x]);
    if (fn === 'silu') return this.op('Mul', [x, this.op('Sigmoid', [x])]);
    // gelu: 0.5 x (1 + erf(x / sqrt 2))
    const erf = this.op('Erf', [this.op('Mul', [x, 'c_inv_sqrt2'])]);
    return this.op('Mul', [this.op('Mul', [x, 'c_half']), this.op('Add', [erf, 'c_one'])]);
  }
}

/** Hook points the graph can output; hook_embed and hook_pos_embed are built in TS. */
const GRAPH_HOOKS =
  /^(ln_final\.hook_(scale|normalized)|blocks\.\d+\.(hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out|ln[12]\.hook_(scale|normalized)|attn\.hook_(q|k|v|attn_scores|pattern|z)|mlp\.hook_(pre|post)))$/;

/**
 * How a graph value holds a hook point: `rows` [B, 1, P, w] (the TL layout [B, P, w]), `heads`
 * [B, H, P, dh] (TL [B, P, H, dh]) or `scores` [B, H, Pq, P] (TL's own).
 */
type GraphLayout = 'rows' | 'heads' | 'scores';

/** TransformerLens shape of a graph-output hook point: B windows, Pq positions kept of P. */
function hookShape(hook: string, arch: DTArchitecture, B: number, Pq: number, P: number): number[] {
  if (/attn\.hook_[qkvz]$/.test(hook)) return [B, Pq, arch.nHeads, arch.dHead];
  if (/hook_(pattern|attn_scores)$/.test(hook)) return [B, arch.nHeads, Pq, P];
  if (hook.endsWith('mlp.hook_pre') || hook.endsWith('mlp.hook_post')) return [B, Pq, arch.dMlp];
  if (hook.endsWith('hook_scale')) return [B, Pq, 1];
  return [B, Pq, arch.dModel];
}

/**
 * The graph of the core: output `out` [B, 1, P, d] ([B, 1, 1, d] with `lastOnly`) and one output per
 * hook point of `cached`. With `lastOnly` (the last-position readout) the last block computes queries,
 * attention, its output and the MLP at the last token only, and every hook output holds the last token.
 */
function buildGraph(
  { arch, gateBias, linearBias }: GraphShape,
  cached: readonly string[],
  lastOnly: boolean,
): Uint8Array {
  const g = new CoreGraphBuilder();
  const { dModel: d, nHeads: H, dHead: dh, dMlp: m, nLayers } = arch;
  const outputs = [{ name: 'out', dims: ['B', 1, lastOnly ? 1 : 'P', d] as Array<number | string> }];
  const pq = lastOnly ? 1 : 'P';
  /** The last token of v along its position axis 2 ([B, 1, P, w] or [B, H, P, w]). */
  const last = (v: string) => g.op('Slice', [v, 'c_last', 'c_end', 'c_axis_pos']);
  /** Outputs `value` (laid out as `layout`) as hook point `hook` when it is cached. */
  const emit = (hook: string, value: string, layout: GraphLayout) => {
    if (!cached.includes(hook)) return;
    const v = lastOnly ? last(value) : value;
    g.nodes.push(
      layout === 'heads'
        ? { op: 'Transpose', inputs: [v], outputs: [hook], attrs: { perm: [0, 2, 1, 3] } }
        : { op: 'Identity', inputs: [v], outputs: [hook] },
    );
    const width = hook.endsWith('hook_scale') ? 1 : hook.includes('.mlp.') ? m : d;
    const dims: Array<number | string> =
      layout === 'heads' ? ['B', pq, H, dh] : layout === 'scores' ? ['B', H, pq, 'P'] : ['B', 1, pq, width];
    outputs.push({ name: hook, dims });
  };
  /** LayerNorm (or none) of v, emitting the norm's hook points. */
  const norm = (v: string, prefix: string) => {
    if (!arch.normalization) return v;
    const scaled = cached.includes(`${prefix}.hook_scale`);
    const scale = `${prefix}_scale`;
    const out = g.layerNorm(v, prefix, d, scaled ? scale : undefined);
    if (scaled) emit(`${prefix}.hook_scale`, scale, 'rows');
    emit(`${prefix}.hook_normalized`, out, 'rows');
    return out;
  };
  for (const c of ['c_inv_scale', 'c_half', 'c_one', 'c_inv_sqrt2']) g.input(c, [1]);
  let x = g.op('Add', [g.input('tokens', ['B', 1, 'P', d]), g.input('pos', ['P', d])]);
  const mask = g.input('mask', ['P', 'P']);
  const keep = cached.some((h) => h.endsWith('hook_attn_scores')) ? g.input('keep', ['P', 'P']) : null;
  for (let l = 0; l < nLayers; l++) {
    const p = `blocks.${l}`;
    // The last block of a last-position run: queries and everything after them at the last token.
    const lastToken = lastOnly && l === nLayers - 1;
    emit(`${p}.hook_resid_pre`, x, 'rows');
    const h = norm(x, `${p}.ln1`);
    const project = (n: string, input: string) =>
      g.op('Add', [
        g.op('MatMul', [input, g.input(`${p}.W_${n}`, [H, d, dh])]),
        g.input(`${p}.b_${n}`, [H, 1, dh]),
      ]);
    const [k, v] = ['K', 'V'].map((n) => project(n, h));
    // TS caches every query of the last block: compute them all only when hook_q is cached.
    const qFull = !lastToken || cached.includes(`${p}.attn.hook_q`);
    const qAll = qFull ? project('Q', h) : null;
    const q = lastToken ? (qAll ? last(qAll) : project('Q', last(h))) : qAll!;
    if (qAll) emit(`${p}.attn.hook_q`, qAll, 'heads');
    emit(`${p}.attn.hook_k`, k, 'heads');
    emit(`${p}.attn.hook_v`, v, 'heads');
    const raw = g.op('Mul', [
      g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]),
      'c_inv_scale',
    ]);
    // The last query sees every key: no mask. Elsewhere masked scores are exactly -1e5 when read.
    const scores = lastToken ? raw : g.op('Add', [keep ? g.op('Mul', [raw, keep]) : raw, mask]);
    emit(`${p}.attn.hook_attn_scores`, scores, 'scores');
    const pattern = g.op('Softmax', [scores], { axis: 3 });
    emit(`${p}.attn.hook_pattern`, pattern, 'scores');
    const z = g.op('MatMul', [pattern, v]); // [B, H, Pq, dh]
    emit(`${p}.attn.hook_z`, z, 'heads');
    const perHead = g.op('MatMul', [z, g.input(`${p}.W_O`, [H, dh, d])]);
    const attnOut = g.op('Add', [
      g.op('ReduceSum', [perHead, 'axis_heads'], { keepdims: 1 }),
      g.input(`${p}.b_O`, [d]),
    ]);
    emit(`${p}.hook_attn_out`, attnOut, 'rows');
    x = g.op('Add', [lastToken ? last(x) : x, attnOut]);
    emit(`${p}.hook_resid_mid`, x, 'rows');
    const h2 = norm(x, `${p}.ln2`);
    const withBias = (v: string, name: string, has: boolean) =>
      has ? g.op('Add', [v, g.input(name, [m])]) : v;
    const pre = g.op('MatMul', [h2, g.input(`${p}.W_in`, [d, m])]);
    let post: string;
    if (arch.gatedMlp) {
      const gate = withBias(g.op('MatMul', [h2, g.input(`${p}.W_gate`, [d, m])]), `${p}.b_gate`, gateBias);
      emit(`${p}.mlp.hook_pre`, gate, 'rows');
      const linear = withBias(pre, `${p}.b_linear`, linearBias);
      post = g.op('Add', [
        g.op('Mul', [g.activation(gate, arch.activationFn), linear]),
        g.input(`${p}.b_in`, [m]),
      ]);
    } else {
      const biased = g.op('Add', [pre, g.input(`${p}.b_in`, [m])]);
      emit(`${p}.mlp.hook_pre`, biased, 'rows');
      post = g.activation(biased, arch.activationFn);
    }
    emit(`${p}.mlp.hook_post`, post, 'rows');
    const mlpOut = g.op('Add', [
      g.op('MatMul', [post, g.input(`${p}.W_out`, [m, d])]),
      g.input(`${p}.b_out`, [d]),
    ]);
    emit(`${p}.hook_mlp_out`, mlpOut, 'rows');
    x = g.op('Add', [x, mlpOut]);
    emit(`${p}.hook_resid_post`, x, 'rows');
  }
  // A last-position run without blocks still reads the last token only.
  if (lastOnly && nLayers === 0) x = last(x);
  const out = norm(x, 'ln_final');
  g.nodes.push({ op: 'Identity', inputs: [out], outputs: ['out'] });
  return encodeOnnxModel({
    nodes: g.nodes,
    inputs: g.inputs,
    outputs,
    initializers: [
      { name: 'axis_heads', dims: [1], values: [1] },
      // Slice bounds of `last` (ORT drops unused initializers with a warning: only when used).
      ...(lastOnly
        ? [
            { name: 'c_last', dims: [1], values: [-1] },
            { name: 'c_end', dims: [1], values: [Number.MAX_SAFE_INTEGER] },
            { name: 'c_axis_pos', dims: [1], values: [2] },
          ]
        : []),
    ],
  });
}

/** [P, P] additive causal mask: 0 on and below the diagonal, TransformerLens's -1e5 above. */
function causalMask(P: number): Float32Array {
  const mask = new Float32Array(P * P);
  for (let i = 0; i < P; i++) mask.fill(MASKED_SCORE, i * P + i + 1, (i + 1) * P);
  return mask;
}

export class OrtFusedCore implements FusedCore {
  readonly name = 'ort-fused';
  private readonly sessions = new Map<string, NativeSession>();
  private readonly masks = new Map<number, Float32Array>();

  constructor(private readonly options: OrtSessionOptions = {}) {}

  run(
    arch: DTArchitecture,
    weights: DTWeights,
    tokens: Tensor,
    { cache = [], lastPositionOnly = false }: FusedRunOptions = {},
  ): { out: Tensor; acts: Map<string, Tensor> } | null {
    const [B, P, d] = tokens.shape;
    checkContext(arch, P);
    if (!SUPPORTED_ACTIVATIONS.has(arch.activationFn) || B * P === 0) return null;
    const graphHooks = cache.filter((h) => h !== 'hook_embed' && h !== 'hook_pos_embed');
    if (!graphHooks.every((h) => GRAPH_HOOKS.test(h))) return null;
    // Missing LayerNorm weights: the TS core reports them.
    const lnWeights = [...weights.blocks.flatMap((b) => [b.ln1, b.ln2]), weights.lnFinal];
    if (arch.normalization === 'LN' && lnWeights.some((w) => !w)) return null;
    const block0 = weights.blocks[0];
    const shape: GraphShape = {
      arch,
      gateBias: block0?.mlp.b_gate !== undefined,
      linearBias: block0?.mlp.b_linear !== undefined,
    };
    const Pq = lastPositionOnly ? 1 : P;
    const feeds = this.feeds(shape, weights, tokens, graphHooks);
    // Outputs are written straight into arrays of their final (TransformerLens) shapes.
    const out = new Tensor(new Float32Array(B * Pq * d), [B, Pq, d]);
    const acts = new Map<string, Tensor>();
    const fetches: Record<string, InstanceType<typeof OrtTensor>> = {
      out: new OrtTensor('float32', out.data, [B, 1, Pq, d]),
    };
    for (const hook of graphHooks) {
      const tl = hookShape(hook, arch, B, Pq, P);
      const t = new Tensor(new Float32Array(numelOf(tl)), tl);
      acts.set(hook, t);
      const dims = tl.length === 3 ? [B, 1, Pq, tl[2]] : tl;
      fetches[hook] = new OrtTensor('float32', t.data, dims);
    }
    this.session(shape, graphHooks, lastPositionOnly).run(feeds, fetches, {});
    const embeds = new Map<string, Tensor>();
    if (cache.includes('hook_embed')) embeds.set('hook_embed', tokens.clone());
    if (cache.includes('hook_pos_embed')) {
      const pos = new Float32Array(B * P * d);
      for (let b = 0; b < B; b++) pos.set(weights.W_pos.data.subarray(0, P * d), b * P * d);
      embeds.set('hook_pos_embed', new Tensor(pos, [B, P, d]));
    }
    for (const [hook, t] of embeds) acts.set(hook, lastPositionOnly ? t.lastAlong(1) : t);
    return { out, acts };
  }

  /** Releases every cached native session. */
  dispose(): void {
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
  }

  private session(shape: GraphShape, cached: readonly string[], lastOnly: boolean): NativeSession {
    const { arch } = shape;
    const key = JSON.stringify([
      cached,
      lastOnly,
      arch.dModel,
      arch.nHeads,
      arch.dHead,
      arch.dMlp,
      arch.nLayers,
      arch.normalization,
      arch.gatedMlp,
      arch.activationFn,
      shape.gateBias,
      shape.linearBias,
    ]);
    let session = this.sessions.get(key);
    if (!session) {
      session = loadOrtSession(buildGraph(shape, cached, lastOnly), this.options);
      this.sessions.set(key, session);
    }
    return session;
  }

  private feeds(
    shape: GraphShape,
    weights: DTWeights,
    tokens: Tensor,
    cached: readonly string[],
  ): Record<string, InstanceType<typeof OrtTensor>> {
    const { arch } = shape;
    const [B, P, d] = tokens.shape;
    const { nHeads: H, dHead: dh, dMlp: m } = arch;
    let mask = this.masks.get(P);
    if (!mask) {
      mask = causalMask(P);
      this.masks.set(P, mask);
    }
    const ones = new Float32Array(d).fill(1);
    const zeros = new Float32Array(d);
    const f: Record<string, Feed> = {
      c_inv_scale: { dims: [1], data: Float32Array.of(1 / Math.sqrt(dh)) },
      c_half: { dims: [1], data: Float32Array.of(0.5) },
      c_one: { dims: [1], data: Float32Array.of(1) },
      c_inv_sqrt2: { dims: [1], data: Float32Array.of(Math.SQRT1_2) },
      tokens: { dims: [B, 1, P, d], data: tokens.data },
      pos: { dims: [P, d], data: weights.W_pos.data.subarray(0, P * d) },
      mask: { dims: [P, P], data: mask },
    };
    if (cached.some((h) => h.endsWith('hook_attn_scores')))
      f.keep = { dims: [P, P], data: mask.map((v) => (v === 0 ? 1 : 0)) };
    const ln = (prefix: string, w: LayerNormWeights | undefined) => {
      f[`${prefix}.w`] = { dims: [d], data: arch.normalization === 'LN' ? w!.w : ones };
      f[`${prefix}.b`] = { dims: [d], data: arch.normalization === 'LN' ? w!.b : zeros };
    };
    weights.blocks.forEach((b: BlockWeights, l) => {
      const p = `blocks.${l}`;
      if (arch.normalization) {
        ln(`${p}.ln1`, b.ln1);
        ln(`${p}.ln2`, b.ln2);
      }
      for (const n of ['Q', 'K', 'V'] as const) {
        f[`${p}.W_${n}`] = { dims: [H, d, dh], data: b.attn[`W_${n}`].data };
        f[`${p}.b_${n}`] = { dims: [H, 1, dh], data: b.attn[`b_${n}`].data };
      }
      f[`${p}.W_O`] = { dims: [H, dh, d], data: b.attn.W_O.data };
      f[`${p}.b_O`] = { dims: [d], data: b.attn.b_O.data };
      f[`${p}.W_in`] = { dims: [d, m], data: b.mlp.W_in.data };
      f[`${p}.b_in`] = { dims: [m], data: b.mlp.b_in.data };
      if (arch.gatedMlp) f[`${p}.W_gate`] = { dims: [d, m], data: b.mlp.W_gate!.data };
      if (shape.gateBias) f[`${p}.b_gate`] = { dims: [m], data: b.mlp.b_gate!.data };
      if (shape.linearBias) f[`${p}.b_linear`] = { dims: [m], data: b.mlp.b_linear!.data };
      f[`${p}.W_out`] = { dims: [m, d], data: b.mlp.W_out.data };
      f[`${p}.b_out`] = { dims: [d], data: b.mlp.b_out.data };
    });
    if (arch.normalization) ln('ln_final', weights.lnFinal);
    return Object.fromEntries(
      Object.entries(f).map(([name, v]) => [name, new OrtTensor('float32', v.data, v.dims)]),
    );
  }
}
