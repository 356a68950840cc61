/**
 * Causal scrubbing (Chan et al. 2022), as resampling ablation over a dataset of windows. A hypothesis
 * names model nodes (path-patching node syntax: `L0H1`, `L0H1@25`, `mlp1`, `embed:S`, `pos_embed`,
 * `heads`, `mlps`, `embeds`, ...) and the input feature each depends on:
 *  - a feature (`instruction`, `layout`, `step`, `lastAction`, `rtg`, `seed`): the node's activation on
 *    window x is replaced by its activation on another window agreeing with x on that feature;
 *  - `nothing`: replaced by its activation on any other window;
 *  - `everything`: left alone (computed from its actual, possibly scrubbed, inputs).
 * Nodes of the cover (every head, every MLP, the R/S/A token and position embeddings) not named take
 * `rest` (default `nothing`). Named nodes apply after the cover, so `L0H1@25` refines `L0H1`.
 *
 * The score is the share of the metric recovered against full scrambling (every cover node `nothing`,
 * with the same resampling draws): `(M_hyp − M_scrambled) / (M_clean − M_scrambled)` for the mean
 * logit difference, and the same with losses (cross-entropy of the last action logits against the
 * clean model's own greedy action). Per node: the share recovered when that node alone is scrambled.
 * Everything = 100% exactly (no intervention); nothing = the scrambled value exactly.
 */
import { DtlensError, check } from '../../errors.ts';
import type { DecisionTransformer, RunResult } from '../../model/decisionTransformer.ts';
import type { JobControl } from '../jobs.ts';
import type { Intervention, InterventionRow } from './intervention.ts';
import { metricReader } from './metrics.ts';
import { seededUniforms } from './stats.ts';
import type { PathNode } from './pathPatch.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { parseSenders } from './pathNodes.ts';
import { runSweep } from './sweep.ts';
import { FEATURE_NAMES, type FeatureName, type WindowSet } from './windows.ts';
import type { LogitDirectionSpec } from '../dynamic/logitDirection.ts';

export type Dependency = FeatureName | 'everything' | 'nothing';
const DEPENDENCIES: readonly Dependency[] = [...FEATURE_NAMES, 'everything', 'nothing'];

export interface Hypothesis {
  name: string;
  nodes: { node: string; dependsOn: Dependency }[];
  /** Dependency of cover nodes not named (default nothing). */
  rest?: Dependency;
}

/** Parses and validates a hypothesis file; BAD_INPUT naming the first problem. */
export function parseHypothesis(json: string): Hypothesis {
  let v: unknown;
  check(
    json.trim() !== '',
    'BAD_INPUT',
    'hypothesis: empty (paste a hypothesis as JSON; docs/hypotheses/ has examples)',
  );
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new DtlensError('BAD_INPUT', `hypothesis: not valid JSON (${(e as Error).message})`);
  }
  const h = v as Partial<Hypothesis>;
  check(
    typeof h === 'object' && h !== null && !Array.isArray(h),
    'BAD_INPUT',
    'hypothesis: expected an object',
  );
  check(typeof h.name === 'string', 'BAD_INPUT', 'hypothesis: "name" must be a string');
  check(Array.isArray(h.nodes), 'BAD_INPUT', 'hypothesis: "nodes" must be a list of {node, dependsOn}');
  const dep = (d: unknown, where: string) =>
    check(
      (DEPENDENCIES as readonly unknown[]).includes(d),
      'BAD_INPUT',
      `hypothesis: ${where} depends on ${JSON.stringify(d)}; use one of ${DEPENDENCIES.join(', ')}`,
    );
  h.nodes!.forEach((n, i) => {
    check(
      typeof n === 'object' && n !== null && typeof n.node === 'string',
      'BAD_INPUT',
      `hypothesis: nodes[${i}] must be {node: string, dependsOn: feature}`,
    );
    dep(n.dependsOn, `node "${n.node}"`);
  });
  if (h.rest !== undefined) dep(h.rest, '"rest"');
  return { name: h.name!, nodes: h.nodes!, rest: h.rest };
}

export interface ScrubNodeResult {
  label: string;
  dependsOn: Dependency;
  /** Share of logit difference / loss recovered with this node scrambled instead */
  recoveredWithout: { logitDiff: number; loss: number };
}

export interface ScrubResult {
  hypothesis: string;
  windows: number;
  logitDiff: { clean: number; scrambled: number; hypothesis: number; recovered: number };
  loss: { clean: number; scrambled: number; hypothesis: number; recovered: number };
  nodes: ScrubNodeResult[];
}

export interface ScrubOptions extends JobControl {
  seed?: number;
  direction?: LogitDirectionSpec;
}

export interface Claim {
  node: PathNode;
  dependsOn: Dependency;
}

/**
 * The window a node of window i reads under `dependsOn`, from a uniform draw u: i itself for
 * `everything`, else a uniform pick among the other windows (agreeing with i on the feature); i when
 * there is none. A feature every window shares resamples exactly like `nothing`.
 */
export function pickWindow(windows: WindowSet, dependsOn: Dependency, i: number, u: number): number {
  if (dependsOn === 'everything') return i;
  const f = dependsOn === 'nothing' ? null : dependsOn;
  const N = windows.features.length;
  const pool = [...Array(N).keys()].filter(
    (j) => j !== i && (f === null || windows.features[j][f] === windows.features[i][f]),
  );
  return pool.length ? pool[Math.floor(u * pool.length)] : i;
}

/** The clean model's greedy action of every window (the loss target) and its clean loss. */
export function greedyTargets(run: RunResult, A: number): { target: Int32Array; loss: Float64Array } {
  const N = run.actionPreds!.shape[0];
  const Tp = run.actionPreds!.shape[1];
  const target = Int32Array.from({ length: N }, (_, b) => {
    const o = (b * Tp + Tp - 1) * A;
    let best = 0;
    for (let a = 1; a < A; a++) if (run.actionPreds!.data[o + a] > run.actionPreds!.data[o + best]) best = a;
    return best;
  });
  const loss = Float64Array.from({ length: N }, (_, b) =>
    crossEntropy(run.actionPreds!.data, (b * Tp + Tp - 1) * A, A, target[b]),
  );
  return { target, loss };
}

/**
 * The scrubbing result from raw values: `clean` per window, `runs` per variant × window (variant 0 the
 * hypothesis, 1 full scrambling, 2 + k named node k scrambled alone).
 */
export function scrubSummary(
  hypothesis: string,
  named: readonly Claim[],
  clean: { ld: ArrayLike<number>; loss: ArrayLike<number> },
  runs: { ld: ArrayLike<number>; loss: ArrayLike<number> },
): ScrubResult {
  const N = clean.ld.length;
  const mean = (a: ArrayLike<number>, v: number) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += a[v * N + i];
    return s / N;
  };
  const cleanM = { logitDiff: mean(clean.ld, 0), loss: mean(clean.loss, 0) };
  const scr = { logitDiff: mean(runs.ld, 1), loss: mean(runs.loss, 1) };
  const share = (metric: 'logitDiff' | 'loss', v: number) =>
    ((metric === 'logitDiff' ? mean(runs.ld, v) : mean(runs.loss, v)) - scr[metric]) /
    (cleanM[metric] - scr[metric]);
  return {
    hypothesis,
    windows: N,
    logitDiff: {
      clean: cleanM.logitDiff,
      scrambled: scr.logitDiff,
      hypothesis: mean(runs.ld, 0),
      recovered: share('logitDiff', 0),
    },
    loss: {
      clean: cleanM.loss,
      scrambled: scr.loss,
      hypothesis: mean(runs.loss, 0),
      recovered: share('loss', 0),
    },
    nodes: named.map((c, k) => ({
      label: c.node.label,
      dependsOn: c.dependsOn,
      recoveredWithout: { logitDiff: share('logitDiff', k + 2), loss: share('loss', k + 2) },
    })),
  };
}

/** The cover's nodes and the named ones (the last `named`), in application order. */
export function scrubClaims(
  model: DecisionTransformer,
  h: Hypothesis,
  P: number,
): { list: Claim[]; named: number } {
  const cover = parseSenders('embeds,heads,mlps', model.arch, P).nodes;
  const named = h.nodes.flatMap((n) =>
    parseSenders(n.node, model.arch, P).nodes.map((node) => ({ node, dependsOn: n.dependsOn })),
  );
  for (const { node } of named)
    check(
      node.source === undefined,
      'BAD_INPUT',
      `${node.label} is a path-patching sender, not a scrubbing node`,
    );
  const rest = h.rest ?? 'nothing';
  const namedLabels = new Set(named.map((c) => c.node.label));
  const list = [
    ...cover.filter((n) => !namedLabels.has(n.label)).map((node) => ({ node, dependsOn: rest })),
    ...named,
  ];
  return { list, named: named.length };
}

/** Runs the hypothesis, full scrambling and each node scrambled alone, as one batched sweep. */
export async function causalScrub(
  model: DecisionTransformer,
  windows: WindowSet,
  hypothesis: Hypothesis,
  options: ScrubOptions = {},
): Promise<ScrubResult> {
  const N = windows.features.length;
  check(N >= 2, 'BAD_INPUT', `causal scrubbing needs at least 2 windows, got ${N}`);
  const tokens = model.toTokens(windows.inputs);
  const P = tokens.shape[1];
  const { list, named: nNamed } = scrubClaims(model, hypothesis, P);
  const hooks = [...new Set(list.map((c) => c.node.hook))];
  // On the hooked core, as the scrubbed runs: resampling a window into itself reproduces this run.
  const base = model.runFromTokens(tokens, {
    cache: hooks,
    noActions: windows.inputs.actions === null,
    core: 'hooked',
  });
  const data = base.cache!;
  const reader = metricReader(model, { kind: 'logit-diff', direction: options.direction }, base);
  const cleanLd = Array.from({ length: N }, (_, i) => reader.read(base, i));
  const A = model.arch.nActions;
  const Tp = base.actionPreds!.shape[1];
  const { target, loss: cleanLoss } = greedyTargets(base, A);
  // One uniform draw per (claim, window), shared by the claim's own resample and the scrambled one:
  // a feature every window shares resamples exactly like `nothing`.
  const random = seededUniforms(options.seed ?? 0);
  const byDep = list.map((c) => {
    const u = Float64Array.from({ length: N }, () => random());
    return {
      own: Int32Array.from({ length: N }, (_, i) => pickWindow(windows, c.dependsOn, i, u[i])),
      nothing: Int32Array.from({ length: N }, (_, i) => pickWindow(windows, 'nothing', i, u[i])),
    };
  });
  const row = (i: number, dep: (k: number) => 'own' | 'nothing'): InterventionRow =>
    list.flatMap((c, k): Intervention[] => {
      const d = dep(k);
      if (d === 'own' && c.dependsOn === 'everything') return [];
      const j = byDep[k][d][i];
      return [{ hook: c.node.hook, op: { kind: 'set', source: 'data', row: j }, where: c.node.where }];
    });
  // Variants: 0 hypothesis, 1 scrambled, 2 + k: claim k scrambled (named nodes only).
  const named = list.map((_, k) => k).filter((k) => k >= list.length - nNamed);
  const variants: ((k: number) => 'own' | 'nothing')[] = [
    () => 'own',
    () => 'nothing',
    ...named.map((m) => (k: number) => (k === m ? 'nothing' : 'own')),
  ];
  const rows = variants.flatMap((v) => Array.from({ length: N }, (_, i) => row(i, v)));
  const repeated = repeatTokens(tokens, variants.length);
  const ld = new Float64Array(rows.length);
  const loss = new Float64Array(rows.length);
  await runSweep(
    model,
    { tokens: repeated, noActions: windows.inputs.actions === null },
    rows,
    (run, ids) => {
      ids.forEach((r, k) => {
        ld[r] = reader.read(run, k);
        loss[r] = crossEntropy(run.actionPreds!.data, (k * Tp + Tp - 1) * A, A, target[r % N]);
      });
    },
    { ...options, sources: { data } },
  );
  return scrubSummary(
    hypothesis.name,
    named.map((k) => list[k]),
    { ld: cleanLd, loss: cleanLoss },
    { ld, loss },
  );
}

/** [N, P, d] token embeddings repeated n times along the batch. */
function repeatTokens(t: Tensor, n: number): Tensor {
  const out = new Float32Array(t.size * n);
  for (let i = 0; i < n; i++) out.set(t.data, i * t.size);
  return new Tensor(out, [t.shape[0] * n, ...t.shape.slice(1)]);
}

/** −log softmax(logits)[target] for one row of A logits at `offset`. */
export function crossEntropy(logits: Float32Array, offset: number, A: number, target: number): number {
  let max = -Infinity;
  for (let a = 0; a < A; a++) max = Math.max(max, logits[offset + a]);
  let sum = 0;
  for (let a = 0; a < A; a++) sum += Math.exp(logits[offset + a] - max);
  return Math.log(sum) + max - logits[offset + target];
}
