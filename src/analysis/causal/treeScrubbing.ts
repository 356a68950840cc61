/**
 * Treeified causal scrubbing (Chan et al. 2022): the hypothesis graph unrolled into a tree, each path
 * to the output its own copy. The cover's nodes (R/S/A token embeddings, position embedding, every
 * head, every MLP) write into the residual stream; a node reads everything written before it (a head of
 * layer l: the embeddings and layers < l; the MLP of layer l: also the heads of layer l; the output:
 * everything). Evaluating node n for reference window r:
 *
 *   - r_n = a window agreeing with r on n's feature (`pickWindow`; r itself for `everything`);
 *   - an embedding's output is its value on r_n;
 *   - any other node's output is the node applied to the residual Σ_parents output(parent, r_n) + the
 *     attention biases b_O of the layers before it, each parent evaluated recursively with its own draw.
 *
 * Unlike the single pass (`causalScrub`: one resampled activation per node, read from the clean run of
 * the resampled window), a node feeding several others is resampled independently for each, and a
 * resampled node's inputs are themselves scrubbed relative to its resampled window. Every draw is a
 * function of the path from the output (`pathUniform`), so the result does not depend on the order of
 * evaluation. Variants, metrics and the summary are those of `causalScrub`; named nodes must be whole
 * cover nodes (heads, MLPs, embeddings). Cost: one partial forward per non-leaf node of each tree
 * (about 100 per window and variant for 2 layers × 4 heads), batched per stage.
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { forEachChunk } from '../jobs.ts';
import { metricReader } from './metrics.ts';
import { parseSenders } from './pathNodes.ts';
import {
  type Claim,
  type Dependency,
  type Hypothesis,
  type ScrubOptions,
  type ScrubResult,
  crossEntropy,
  greedyTargets,
  pickWindow,
  scrubClaims,
  scrubSummary,
} from './scrubbing.ts';
import type { WindowSet } from './windows.ts';

/** A uniform in [0, 1) from a seed and a path of integers (FNV-1a, then a 32-bit finaliser). */
export function pathUniform(seed: number, path: readonly number[]): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (const x of path) {
    h = Math.imul(h ^ (x & 0xffff), 16777619) >>> 0;
    h = Math.imul(h ^ (x >>> 16), 16777619) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** A cover node as a writer of the residual stream: its stage (evaluation order) and kind. */
interface TreeNode {
  claim: Claim;
  /** 0 embeddings; 2l + 1 heads of layer l; 2l + 2 the MLP of layer l; 2L + 1 the output */
  stage: number;
  kind: 'embed' | 'head' | 'mlp';
  layer: number;
  head: number;
}

/** The cover's nodes with their claims (named claims replace the cover's), and the named ones. */
function treeNodes(
  model: DecisionTransformer,
  h: Hypothesis,
  P: number,
): { nodes: TreeNode[]; named: TreeNode[] } {
  const { list, named } = scrubClaims(model, h, P);
  const claimed = list.slice(list.length - named);
  const byLabel = new Map(list.map((c) => [c.node.label, c]));
  const cover = parseSenders('embeds,heads,mlps', model.arch, P).nodes.map((n) => n.label);
  for (const c of claimed)
    check(
      cover.includes(c.node.label) && byLabel.get(c.node.label) === c,
      'BAD_INPUT',
      `treeified scrubbing takes whole heads, MLPs and embeddings, each named once; "${c.node.label}" is not one`,
    );
  const nodes = cover.map((label): TreeNode => {
    const claim = byLabel.get(label)!;
    const { hook, where } = claim.node;
    const layer = Number(/^blocks\.(\d+)\./.exec(hook)?.[1] ?? -1);
    if (layer < 0) return { claim, stage: 0, kind: 'embed', layer, head: -1 };
    if (hook.endsWith('attn.hook_z'))
      return { claim, stage: 2 * layer + 1, kind: 'head', layer, head: where!.heads![0] };
    return { claim, stage: 2 * layer + 2, kind: 'mlp', layer, head: -1 };
  });
  return { nodes, named: claimed.map((c) => nodes.find((n) => n.claim === c)!) };
}

/** One evaluation of a node in a tree: node, window, consumer (instance, or −1 − root) and path. */
interface Instance {
  node: number;
  window: number;
  consumer: number;
  path: number[];
}

/** The root of a tree: the window whose output it computes and each node's dependency. */
interface Root {
  window: number;
  dep: (node: number) => Dependency;
}

const ROWS_PER_RUN = 256;

/** The output run (ln_final and the prediction heads) of the tree of each root, batched per stage. */
function evaluateTrees(
  model: DecisionTransformer,
  windows: WindowSet,
  nodes: readonly TreeNode[],
  roots: readonly Root[],
  base: RunResult,
  seed: number,
  noActions: boolean,
): RunResult {
  const [, P, d] = base.transformerOut.shape;
  const L = model.arch.nLayers;
  const out = 2 * L + 1;
  const instances: Instance[] = [];
  const child = (node: number, parentWindow: number, consumer: number, path: number[], dep: Root['dep']) => {
    const p = [...path, node];
    instances.push({
      node,
      consumer,
      path: p,
      window: pickWindow(windows, dep(node), parentWindow, pathUniform(seed, p)),
    });
  };
  roots.forEach((r, k) => nodes.forEach((_, n) => child(n, r.window, -1 - k, [r.window], r.dep)));
  const rootOf = (i: number): number => {
    let c = instances[i].consumer;
    while (c >= 0) c = instances[c].consumer;
    return -1 - c;
  };
  for (let stage = out - 1; stage >= 1; stage--)
    for (let i = 0; i < instances.length; i++) {
      const inst = instances[i];
      if (nodes[inst.node].stage !== stage) continue;
      const dep = roots[rootOf(i)].dep;
      nodes.forEach((n, p) => {
        if (n.stage < stage) child(p, inst.window, i, inst.path, dep);
      });
    }
  // Residual inputs: non-embedding instances and the roots, starting from the attention biases before them.
  const biasBefore = (stage: number) => {
    const b = new Float32Array(d);
    for (let l = 0; l < L && 2 * l + 1 < stage; l++) {
      const bO = model.weights.blocks[l].attn.b_O.data;
      for (let j = 0; j < d; j++) b[j] += bO[j];
    }
    return b;
  };
  const input = new Map<number, Float32Array>();
  const withBias = (stage: number) => {
    const b = biasBefore(stage);
    const buf = new Float32Array(P * d);
    for (let p = 0; p < P; p++) buf.set(b, p * d);
    return buf;
  };
  instances.forEach((inst, i) => {
    if (nodes[inst.node].kind !== 'embed') input.set(i, withBias(nodes[inst.node].stage));
  });
  const rootInput = roots.map(() => withBias(out));
  const addTo = (consumer: number, values: Float32Array, offset: number, positions?: readonly number[]) => {
    const buf = consumer >= 0 ? input.get(consumer)! : rootInput[-1 - consumer];
    for (const p of positions ?? Array.from({ length: P }, (_, q) => q))
      for (let j = 0; j < d; j++) buf[p * d + j] += values[offset + p * d + j];
  };
  for (let stage = 0; stage < out; stage++) {
    const ids = instances.map((_, i) => i).filter((i) => nodes[instances[i].node].stage === stage);
    if (stage === 0) {
      for (const i of ids) {
        const { node, window, consumer } = instances[i];
        const { hook, where } = nodes[node].claim.node;
        addTo(consumer, base.cache!.get(hook).data, window * P * d, where?.positions);
      }
      continue;
    }
    const layer = (stage - 1) >> 1;
    const isHead = stage % 2 === 1;
    for (let from = 0; from < ids.length; from += ROWS_PER_RUN) {
      const chunk = ids.slice(from, from + ROWS_PER_RUN);
      const resid = new Float32Array(chunk.length * P * d);
      chunk.forEach((i, b) => resid.set(input.get(i)!, b * P * d));
      const x = new Tensor(resid, [chunk.length, P, d]);
      const hook = isHead ? `blocks.${layer}.attn.hook_z` : `blocks.${layer}.hook_mlp_out`;
      const run = model.runFromResidual(layer, x, {
        noActions,
        cache: [hook],
        // the MLP reads the instance's residual, not this run's attention output
        hooks: isHead
          ? []
          : [{ name: `blocks.${layer}.hook_resid_mid`, fn: (act: Tensor) => void act.data.set(resid) }],
      });
      const act = run.cache!.get(hook).data;
      chunk.forEach((i, b) => {
        const { node, consumer } = instances[i];
        if (!isHead) return addTo(consumer, act, b * P * d);
        addTo(consumer, headOutput(model, act, b, layer, nodes[node].head, P), 0);
      });
    }
  }
  const finalResid = new Float32Array(roots.length * P * d);
  rootInput.forEach((r, k) => finalResid.set(r, k * P * d));
  return model.runFromResidual(L, new Tensor(finalResid, [roots.length, P, d]), { noActions });
}

/** Head h's write into the residual, z_h · W_O[h] [P, d], from hook_z [B, P, H, dh] of batch row b. */
function headOutput(
  model: DecisionTransformer,
  z: Float32Array,
  b: number,
  layer: number,
  h: number,
  P: number,
): Float32Array {
  const { nHeads: H, dHead: dh, dModel: d } = model.arch;
  const W = model.weights.blocks[layer].attn.W_O.data;
  const out = new Float32Array(P * d);
  for (let p = 0; p < P; p++) {
    const zo = ((b * P + p) * H + h) * dh;
    for (let e = 0; e < dh; e++) {
      const v = z[zo + e];
      const wo = (h * dh + e) * d;
      for (let j = 0; j < d; j++) out[p * d + j] += v * W[wo + j];
    }
  }
  return out;
}

/** Treeified scrubbing of `hypothesis` over `windows`: the result of `causalScrub`, resampled per path. */
export async function treeifiedScrub(
  model: DecisionTransformer,
  windows: WindowSet,
  hypothesis: Hypothesis,
  options: ScrubOptions = {},
): Promise<ScrubResult> {
  const N = windows.features.length;
  check(N >= 2, 'BAD_INPUT', `causal scrubbing needs at least 2 windows, got ${N}`);
  const noActions = windows.inputs.actions === null;
  const tokens = model.toTokens(windows.inputs);
  const P = tokens.shape[1];
  const { nodes, named: namedNodes } = treeNodes(model, hypothesis, P);
  const embedHooks = [...new Set(nodes.filter((n) => n.kind === 'embed').map((n) => n.claim.node.hook))];
  // On the hooked core, as the scrubbed runs (`causalScrub`'s base).
  const base = model.runFromTokens(tokens, { cache: embedHooks, noActions, core: 'hooked' });
  const reader = metricReader(model, { kind: 'logit-diff', direction: options.direction }, base);
  const A = model.arch.nActions;
  const { target, loss: cleanLoss } = greedyTargets(base, A);
  const cleanLd = Array.from({ length: N }, (_, i) => reader.read(base, i));
  const deps: Root['dep'][] = [
    (k) => nodes[k].claim.dependsOn,
    () => 'nothing',
    ...namedNodes.map((m) => (k: number) => (nodes[k] === m ? 'nothing' : nodes[k].claim.dependsOn)),
  ];
  const ld = new Float64Array(deps.length * N);
  const loss = new Float64Array(deps.length * N);
  // Trees per chunk (default 8): about 100 residual rows of [P, d] each.
  await forEachChunk(deps.length * N, { ...options, chunkRows: options.chunkRows ?? 8 }, (from, to) => {
    const ids = Array.from({ length: to - from }, (_, k) => from + k);
    const roots = ids.map((r) => ({ window: r % N, dep: deps[Math.floor(r / N)] }));
    const run = evaluateTrees(model, windows, nodes, roots, base, options.seed ?? 0, noActions);
    const Tp = run.actionPreds!.shape[1];
    ids.forEach((r, k) => {
      ld[r] = reader.read(run, k);
      loss[r] = crossEntropy(run.actionPreds!.data, (k * Tp + Tp - 1) * A, A, target[r % N]);
    });
  });
  return scrubSummary(
    hypothesis.name,
    namedNodes.map((n) => n.claim),
    { ld: cleanLd, loss: cleanLoss },
    { ld, loss },
  );
}
