/**
 * `OrtFusedCore`: the hook-free transformer core as one ONNX graph on onnxruntime-node, for batches of
 * predictions (evaluation rollouts, RTG scans, `forward` without a cache). Same math as
 * `runTransformer` (TransformerLens 1.2.2 blocks): ORT fuses the O(n) passes that cost most of the TS
 * core's time at large batch and runs every op on its thread pool.
 *
 * The residual stream is [B, 1, P, d] so that head-major weights broadcast: q = x · W_Q [H, d, dh] is
 * [B, H, P, dh], and z · W_O [H, dh, d] summed over heads is the attention output. Weights are graph
 * inputs read on every call (training updates them in place); the graph is built once per
 * architecture. Covers LN / LNPre / no normalization, plain and gated MLPs (with the processed
 * variant's gate and linear biases) and relu, gelu and silu; other activations return null.
 */
import type { DTArchitecture } from '../model/architecture.ts';
import { type FusedCore, MASKED_SCORE, checkContext } from '../model/transformer.ts';
import type { BlockWeights, DTWeights, LayerNormWeights } from '../model/weights.ts';
import { Tensor } from '../tensor/tensor.ts';
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

/** Hook points the graph can output (`runCached`); hook_embed and hook_pos_embed are built in TS. */
const GRAPH_HOOKS =
  /^(ln_final\.hook_scale|blocks\.\d+\.(hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out|attn\.hook_z|mlp\.hook_post))$/;

/** TransformerLens shape of a graph-output hook point for B windows of P tokens. */
function hookShape(hook: string, arch: DTArchitecture, B: number, P: number): number[] {
  if (hook.endsWith('attn.hook_z')) return [B, P, arch.nHeads, arch.dHead];
  if (hook.endsWith('mlp.hook_post')) return [B, P, arch.dMlp];
  if (hook.endsWith('hook_scale')) return [B, P, 1];
  return [B, P, arch.dModel];
}

function buildGraph({ arch, gateBias, linearBias }: GraphShape, cached: readonly string[]): Uint8Array {
  const g = new CoreGraphBuilder();
  const { dModel: d, nHeads: H, dHead: dh, dMlp: m, nLayers } = arch;
  const outputs = [{ name: 'out', dims: ['B', 1, 'P', d] as Array<number | string> }];
  /** Outputs `value` as hook point `hook` when it is cached. */
  const emit = (hook: string, value: string, dims: Array<number | string>) => {
    if (!cached.includes(hook)) return;
    g.nodes.push({ op: 'Identity', inputs: [value], outputs: [hook] });
    outputs.push({ name: hook, dims });
  };
  for (const c of ['c_inv_scale', 'c_half', 'c_one', 'c_inv_sqrt2']) g.input(c, [1]);
  let x = g.op('Add', [g.input('tokens', ['B', 1, 'P', d]), g.input('pos', ['P', d])]);
  const mask = g.input('mask', ['P', 'P']);
  const norm = (v: string, prefix: string) => (arch.normalization ? g.layerNorm(v, prefix, d) : v);
  for (let l = 0; l < nLayers; l++) {
    const p = `blocks.${l}`;
    emit(`${p}.hook_resid_pre`, x, ['B', 1, 'P', d]);
    const h = norm(x, `${p}.ln1`);
    const [q, k, v] = ['Q', 'K', 'V'].map((n) =>
      g.op('Add', [
        g.op('MatMul', [h, g.input(`${p}.W_${n}`, [H, d, dh])]),
        g.input(`${p}.b_${n}`, [H, 1, dh]),
      ]),
    );
    const scores = g.op('Mul', [
      g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]),
      'c_inv_scale',
    ]);
    const pattern = g.op('Softmax', [g.op('Add', [scores, mask])], { axis: 3 });
    const z = g.op('MatMul', [pattern, v]); // [B, H, P, dh]
    emit(`${p}.attn.hook_z`, g.op('Transpose', [z], { perm: [0, 2, 1, 3] }), ['B', 'P', H, dh]);
    const perHead = g.op('MatMul', [z, g.input(`${p}.W_O`, [H, dh, d])]);
    const attnOut = g.op('Add', [
      g.op('ReduceSum', [perHead, 'axis_heads'], { keepdims: 1 }),
      g.input(`${p}.b_O`, [d]),
    ]);
    emit(`${p}.hook_attn_out`, attnOut, ['B', 1, 'P', d]);
    x = g.op('Add', [x, attnOut]);
    emit(`${p}.hook_resid_mid`, x, ['B', 1, 'P', d]);
    const h2 = norm(x, `${p}.ln2`);
    const withBias = (v: string, name: string, has: boolean) =>
      has ? g.op('Add', [v, g.input(name, [m])]) : v;
    const pre = g.op('MatMul', [h2, g.input(`${p}.W_in`, [d, m])]);
    let post: string;
    if (arch.gatedMlp) {
      const gate = withBias(g.op('MatMul', [h2, g.input(`${p}.W_gate`, [d, m])]), `${p}.b_gate`, gateBias);
      const linear = withBias(pre, `${p}.b_linear`, linearBias);
      post = g.op('Add', [
        g.op('Mul', [g.activation(gate, arch.activationFn), linear]),
        g.input(`${p}.b_in`, [m]),
      ]);
    } else {
      post = g.activation(g.op('Add', [pre, g.input(`${p}.b_in`, [m])]), arch.activationFn);
    }
    emit(`${p}.mlp.hook_post`, post, ['B', 1, 'P', m]);
    const mlpOut = g.op('Add', [
      g.op('MatMul', [post, g.input(`${p}.W_out`, [m, d])]),
      g.input(`${p}.b_out`, [d]),
    ]);
    emit(`${p}.hook_mlp_out`, mlpOut, ['B', 1, 'P', d]);
    x = g.op('Add', [x, mlpOut]);
    emit(`${p}.hook_resid_post`, x, ['B', 1, 'P', d]);
  }
  const scaled = cached.includes('ln_final.hook_scale');
  const out = arch.normalization ? g.layerNorm(x, 'ln_final', d, scaled ? 'ln_final_scale' : undefined) : x;
  if (scaled) emit('ln_final.hook_scale', 'ln_final_scale', ['B', 1, 'P', 1]);
  g.nodes.push({ op: 'Identity', inputs: [out], outputs: ['out'] });
  return encodeOnnxModel({
    nodes: g.nodes,
    inputs: g.inputs,
    outputs,
    initializers: [{ name: 'axis_heads', dims: [1], values: [1] }],
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

  run(arch: DTArchitecture, weights: DTWeights, tokens: Tensor): Tensor | null {
    return this.runCached(arch, weights, tokens, [])?.out ?? null;
  }

  runCached(
    arch: DTArchitecture,
    weights: DTWeights,
    tokens: Tensor,
    cache: readonly string[],
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
    const feeds = this.feeds(shape, weights, tokens);
    const out = new Float32Array(B * P * d);
    const fetches = Object.fromEntries([
      ['out', new OrtTensor('float32', out, [B, 1, P, d])],
      ...graphHooks.map((h) => [h, null]),
    ]);
    const results = this.session(shape, graphHooks).run(feeds, fetches, {});
    const acts = new Map<string, Tensor>();
    for (const hook of cache) {
      if (hook === 'hook_embed') acts.set(hook, tokens.clone());
      else if (hook === 'hook_pos_embed') {
        const pos = new Float32Array(B * P * d);
        for (let b = 0; b < B; b++) pos.set(weights.W_pos.data.subarray(0, P * d), b * P * d);
        acts.set(hook, new Tensor(pos, [B, P, d]));
      } else acts.set(hook, new Tensor(results[hook].data as Float32Array, hookShape(hook, arch, B, P)));
    }
    return { out: new Tensor(out, [B, P, d]), acts };
  }

  /** Releases every cached native session. */
  dispose(): void {
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
  }

  private session(shape: GraphShape, cached: readonly string[]): NativeSession {
    const { arch } = shape;
    const key = JSON.stringify([
      cached,
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
      session = loadOrtSession(buildGraph(shape, cached), this.options);
      this.sessions.set(key, session);
    }
    return session;
  }

  private feeds(
    shape: GraphShape,
    weights: DTWeights,
    tokens: Tensor,
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
