/**
 * The batched sweep runner: N intervention rows on one window run as batched forwards of at most
 * `chunkRows` rows (`forEachChunk`: progress and cancellation between chunks). Rows whose
 * interventions all sit in layer L or later start from the window's cached residual at
 * `blocks.L.hook_resid_pre` (prefix reuse: layers < L run once for the whole sweep). Each chunk's
 * run result goes to `collect` with the sweep rows it holds, so callers read only what they need.
 */
import { check } from '../../errors.ts';
import type { DecisionTransformer, PredictionHead, RunResult } from '../../model/decisionTransformer.ts';
import type { NameFilter } from '../../model/hooks.ts';
import { Tensor, shapeString } from '../../tensor/tensor.ts';
import { type JobControl, forEachChunk } from '../jobs.ts';
import type { ActivationCache } from '../../model/activationCache.ts';
import { type SourceCaches, interventionHooks, isIdentityPatch } from './apply.ts';
import {
  type InterventionRow,
  hookLayer,
  missesLastToken,
  sourcesOf,
  validateIntervention,
} from './intervention.ts';

/** The window every row runs on: token embeddings [1, P, d] (shared) or [N, P, d] (one per row). */
export interface SweepBase {
  tokens: Tensor;
  /** DTI's 2-token read-out for `actions=None` windows. */
  noActions?: boolean;
}

export interface SweepOptions extends JobControl {
  sources?: SourceCaches;
  /** Hook points to cache in each chunk's run (e.g. a neuron metric's `mlp.hook_pre`). */
  cache?: NameFilter;
  /** Prediction heads to compute (default: action). */
  heads?: readonly PredictionHead[];
  /** Reuse the unchanged layer prefix (default true; only for a shared [1, P, d] window). */
  prefixReuse?: boolean;
  /**
   * `last`: runs compute only what the last token needs in the last block (`lastPositionOnly`:
   * `transformerOut` [B, 1, d], action head only), for metrics of the last token; default `all`.
   * Window means (which need every position) fall back to `all`.
   */
  readout?: 'all' | 'last';
  /**
   * Cache of the unpatched run of the shared window: `set` patches that would write the values already
   * there are skipped (exact: the row is the unpatched run), e.g. positions before a corrupted token.
   */
  base?: ActivationCache;
}

/** Receives each chunk's run (batch row i = sweep row `rows[i]`). */
export type SweepCollector = (run: RunResult, rows: readonly number[]) => void;

/** The residual stream entering layer l (l = nLayers: the last block's output). */
const residualName = (l: number, nLayers: number): string =>
  l < nLayers ? `blocks.${l}.hook_resid_pre` : `blocks.${nLayers - 1}.hook_resid_post`;

/** `t` [1, P, d] repeated n times. */
export function repeatRows(t: Tensor, n: number): Tensor {
  const out = new Float32Array(t.size * n);
  for (let i = 0; i < n; i++) out.set(t.data, i * t.size);
  return new Tensor(out, [n, ...t.shape.slice(1)]);
}

/** The given rows of a batched tensor. */
function sliceRows(t: Tensor, rows: readonly number[]): Tensor {
  const n = t.size / t.shape[0];
  const out = new Float32Array(rows.length * n);
  rows.forEach((r, i) => out.set(t.data.subarray(r * n, (r + 1) * n), i * n));
  return new Tensor(out, [rows.length, ...t.shape.slice(1)]);
}

/**
 * Runs every row of `rows` (validated first; an empty sweep is BAD_INPUT) and hands each chunk's
 * result to `collect`.
 */
export async function runSweep(
  model: DecisionTransformer,
  base: SweepBase,
  rows: readonly InterventionRow[],
  collect: SweepCollector,
  options: SweepOptions = {},
): Promise<void> {
  const { arch } = model;
  const { tokens } = base;
  check(rows.length > 0, 'BAD_INPUT', 'the sweep has no interventions to run');
  check(
    tokens.rank === 3 &&
      tokens.shape[2] === arch.dModel &&
      (tokens.shape[0] === 1 || tokens.shape[0] === rows.length),
    'BAD_SHAPE',
    () => `sweep tokens must be [1 or ${rows.length}, P, ${arch.dModel}], got ${shapeString(tokens.shape)}`,
  );
  const P = tokens.shape[1];
  const sources = options.sources ?? {};
  for (const row of rows)
    for (const iv of row) {
      validateIntervention(iv, arch, P);
      for (const s of sourcesOf(iv))
        check(s in sources, 'BAD_INPUT', () => `no source cache named "${s}" was given`);
    }
  const L = arch.nLayers;
  const shared = tokens.shape[0] === 1;
  const reuse = shared && (options.prefixReuse ?? true);
  // Hook points each run must cache fire only from its start layer on: start no later than the first.
  const cached = options.cache;
  const latestStart =
    cached === undefined
      ? L
      : typeof cached === 'function'
        ? -1
        : Math.min(L, ...[cached].flat().map((h) => hookLayer(h, L)));
  const windowMean = rows.some((row) => row.some((iv) => iv.op.kind === 'mean' && iv.op.over === 'window'));
  const lastPositionOnly = options.readout === 'last' && !windowMean;
  // What each row must run: interventions that cannot reach the read-out are dropped, and a row of
  // identity patches is the unpatched run (both exact).
  const effective = rows.map((row): InterventionRow => {
    const reaching = lastPositionOnly ? row.filter((iv) => !missesLastToken(iv, L, P)) : row;
    const base = options.base;
    const identity = shared && base && reaching.every((iv) => isIdentityPatch(iv, arch, P, sources, base));
    return identity ? [] : reaching;
  });
  // Start layer per row: the earliest layer it changes (-1 = from the tokens); untouched rows start at L.
  const start = effective.map((row) =>
    reuse ? Math.min(latestStart, ...row.map((iv) => hookLayer(iv.hook, L))) : -1,
  );
  const order = rows.map((_, i) => i).sort((a, b) => start[a] - start[b] || a - b);
  const layers = [...new Set(start)].filter((l) => l >= 0);
  const prefix = new Map<number, Tensor>();
  if (layers.length > 0) {
    const names = layers.map((l) => residualName(l, L));
    const cache = model.runFromTokens(tokens, {
      cache: names,
      noActions: base.noActions,
      core: 'hooked',
    }).cache!;
    layers.forEach((l, i) => prefix.set(l, cache.get(names[i])));
  }
  // Every run on the hooked core (rows without interventions too): untouched rows are bit-identical.
  const runOptions = {
    cache: options.cache,
    heads: options.heads,
    noActions: base.noActions,
    lastPositionOnly,
    core: 'hooked' as const,
  };
  await forEachChunk(rows.length, options, (from, to) => {
    const chunk = order.slice(from, to);
    // A chunk may span two start layers: one run per layer.
    for (let i = 0; i < chunk.length;) {
      let j = i;
      while (j < chunk.length && start[chunk[j]] === start[chunk[i]]) j++;
      const ids = chunk.slice(i, j);
      const hooks = interventionHooks(
        ids.map((r) => effective[r]),
        arch,
        P,
        sources,
      );
      const layer = start[ids[0]];
      const run =
        layer < 0
          ? model.runFromTokens(shared ? repeatRows(tokens, ids.length) : sliceRows(tokens, ids), {
              ...runOptions,
              hooks,
            })
          : model.runFromResidual(layer, repeatRows(prefix.get(layer)!, ids.length), {
              ...runOptions,
              hooks,
            });
      collect(run, ids);
      i = j;
    }
  });
}
