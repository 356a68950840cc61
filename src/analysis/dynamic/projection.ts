/**
 * Projection analysis (DTI "Projection onto Component Output in Residual Stream"), at one token, no LN:
 * how much of each accumulated residual state `r_j` (`accumulated_resid(incl_mid=True)`: `0_pre`,
 * `0_mid`, ..., `final_post`) lies along a component's output `v_c` (a head's `hook_result`, or a
 * neuron's `post · W_out[n]`): `proj[j][c] = r_j · v_c / ‖v_c‖` ("vector" norm, DTI's default: the
 * length of r_j along v_c) or `/ ‖r_j‖` ("component" norm). A component's projection rises at the state
 * after it writes and then shows what later layers keep or erase of it.
 *
 * Also DTI's "Cluster" tab: the cosine similarity of every non-expanded component of
 * `get_full_resid_decomposition(expand_neurons=False)` at the token, clustered (average linkage on
 * 1 − similarity); a zero vector has similarity 0 with everything.
 */
import { check } from '../../errors.ts';
import type { ComponentStack } from '../../model/activationCache.ts';
import { lastStatePosition } from '../../model/tokens.ts';
import { agglomerate, flatClusters, leafOrder } from '../scans/clustering.ts';
import type { CorrelationResult } from '../scans/correlation.ts';
import { checkNeuron } from '../static/model.ts';
import type { NeuronRef } from './neuronReads.ts';
import { type AnalysisRun, dot, resolveIndex, runDims } from './run.ts';

export type ProjectionNorm = 'vector' | 'component';

export interface ProjectionOptions {
  /** Neurons to project on besides every head (DTI "Neuron" tab). */
  neurons?: readonly NeuronRef[];
  norm?: ProjectionNorm;
  batch?: number;
  /** Token position (default: the last S token; negative counts from the end). */
  position?: number;
}

export interface ProjectionResult {
  batch: number;
  position: number;
  tokenLabel: string;
  norm: ProjectionNorm;
  /** Accumulated residual states: `0_pre, 0_mid, ..., final_post` */
  states: string[];
  /** Every head `L{l}H{h}`, then the chosen neurons `L{l}N{n}` */
  components: string[];
  /** [state][component] r_j · v_c */
  dots: number[][];
  /** [state][component] dots divided by ‖v_c‖ (vector) or ‖r_j‖ (component); 0 when the norm is 0 */
  projection: number[][];
  stateNorms: number[];
  componentNorms: number[];
  /** Cosine similarity of the non-expanded components, clustered (values = similarities) */
  similarity: CorrelationResult;
}

export function projectionAnalysis(run: AnalysisRun, options: ProjectionOptions = {}): ProjectionResult {
  const { B, P, d } = runDims(run);
  const b = resolveIndex(options.batch ?? 0, B, 'batch index');
  const p = resolveIndex(options.position ?? lastStatePosition(P), P, 'token position');
  const { cache, model } = run;
  const norm = options.norm ?? 'vector';
  const at = (stack: ComponentStack, i: number) =>
    stack.components.data.subarray(((i * B + b) * P + p) * d, ((i * B + b) * P + p + 1) * d);
  const acc = cache.accumulatedResid(-1, { inclMid: true });
  const states = acc.labels.map((_, i) => at(acc, i));
  const heads = cache.stackHeadResults(-1);
  const vectors = heads.labels.map((_, i) => at(heads, i));
  const labels = [...heads.labels];
  const m = model.arch.dMlp;
  for (const { layer, index } of options.neurons ?? []) {
    checkNeuron(model.arch, layer, index);
    const a = cache.get(`blocks.${layer}.mlp.hook_post`).data[(b * P + p) * m + index];
    const W = model.weights.blocks[layer].mlp.W_out.data;
    vectors.push(Float32Array.from({ length: d }, (_, j) => a * W[index * d + j]));
    labels.push(`L${layer}N${index}`);
  }
  const stateNorms = states.map(l2);
  const componentNorms = vectors.map(l2);
  const dots = states.map((r) => vectors.map((v) => dot(r, 0, v)));
  const projection = dots.map((row, j) =>
    row.map((x, c) => {
      const den = norm === 'vector' ? componentNorms[c] : stateNorms[j];
      return den > 0 ? x / den : 0;
    }),
  );
  const full = cache.getFullResidDecomposition(-1, { expandNeurons: false });
  return {
    batch: b,
    position: p,
    tokenLabel: run.tokenLabels[p],
    norm,
    states: acc.labels,
    components: labels,
    dots,
    projection,
    stateNorms,
    componentNorms,
    similarity: cosineClusters(
      full.labels,
      full.labels.map((_, i) => at(full, i)),
    ),
  };
}

/** Cosine similarities of `vectors`, clustered by average linkage on 1 − similarity (cut at 0.5). */
function cosineClusters(labels: string[], vectors: Float32Array[]): CorrelationResult {
  check(labels.length === vectors.length, 'BAD_SHAPE', 'one label per vector');
  const norms = vectors.map(l2);
  const values = vectors.map((u, i) =>
    vectors.map((v, j) => (norms[i] > 0 && norms[j] > 0 ? dot(u, 0, v) / (norms[i] * norms[j]) : 0)),
  );
  const merges = agglomerate(
    values.map((r) => r.map((c) => 1 - c)),
    'average',
  );
  return {
    method: 'average',
    labels,
    values,
    order: leafOrder(merges, labels.length),
    merges,
    constant: labels.filter((_, i) => norms[i] === 0),
    clusters: flatClusters(merges, labels.length, 0.5).map((c) => c.map((i) => labels[i])),
  };
}

const l2 = (v: Float32Array) => Math.sqrt(dot(v, 0, v));
