/**
 * One weights-only analysis from a flat settings record, as the CLI (`dtlens analyze <analysis>`) and the
 * app's Weights panels both ask for them: `computeStatic` gives plain data (structured-clone safe; the
 * worker computes it once per model and settings), `staticFigure` (figures/staticFigures.ts) draws it.
 * Settings are strings or numbers (CLI option values or URL panel settings) and are validated here.
 */
import { DtlensError, check } from '../../errors.ts';
import { type CircuitResult, fullOV, fullQK, sumOverKeys } from './circuits.ts';
import {
  COMPOSITION_TYPES,
  type CompositionEdge,
  type CompositionGraph,
  type CompositionResult,
  compositionGraph,
  compositionScores,
  topCompositions,
} from './composition.ts';
import {
  type CongruenceResult,
  type HeadInputCongruence,
  congruence,
  headInputCongruence,
} from './congruence.ts';
import { type SavedDirections, directionsVocabulary } from './directions.ts';
import {
  type PcaResult,
  type SimilarityResult,
  embeddingPca,
  similarityMatrix,
  vectorNorms,
} from './embeddings.ts';
import { type MetaCompositionResult, metaComposition } from './metaComposition.ts';
import { type MlpCompositionResult, mlpComposition } from './mlpComposition.ts';
import type { WeightsModel } from './model.ts';
import {
  type NeuronDirectionsResult,
  type NeuronRef,
  type ParameterStats,
  neuronDirections,
  parameterStats,
} from './parameters.ts';
import { type HeadSvd, type SvdReadout, headSvd, svdDirectionsVocabulary, svdReadout } from './svd.ts';
import {
  VOCABULARY_NAMES,
  type Vocabulary,
  embeddingVocabulary,
  neuronVocabulary,
  selectRows,
  unembedVocabulary,
} from './vocabularies.ts';

export const STATIC_ANALYSES = [
  'composition',
  'meta-composition',
  'mlp-composition',
  'ov-circuit',
  'qk-circuit',
  'svd',
  'congruence',
  'embeddings',
  'parameters',
  'neurons',
] as const;
export type StaticAnalysis = (typeof STATIC_ANALYSES)[number];

export type StaticSettings = Readonly<Record<string, string | number | boolean | undefined>>;

/** Vocabulary names a setting accepts: the embeddings, the action predictor, saved directions. */
export const VOCABULARY_CHOICES = [...VOCABULARY_NAMES, 'predictor', 'directions'] as const;

/** What the SVD read-out also reads in: every head's OV output directions, one layer's neurons. */
export const SVD_READ_CHOICES = ['head-outputs', 'neurons'] as const;

export type StaticData =
  | { analysis: 'composition'; scores: CompositionResult; top: CompositionEdge[]; graph: CompositionGraph }
  | { analysis: 'meta-composition'; meta: MetaCompositionResult }
  | { analysis: 'mlp-composition'; mlp: MlpCompositionResult }
  | { analysis: 'ov-circuit' | 'qk-circuit'; circuit: CircuitResult }
  | { analysis: 'svd'; svd: HeadSvd; readout: SvdReadout | null }
  | { analysis: 'congruence'; congruence: CongruenceResult | null; heads: HeadInputCongruence | null }
  | {
      analysis: 'embeddings';
      norms: { labels: string[]; norms: number[] } | null;
      similarity: SimilarityResult | null;
      pca: PcaResult | null;
    }
  | { analysis: 'parameters'; stats: ParameterStats[] }
  | { analysis: 'neurons'; neurons: NeuronDirectionsResult };

/** A string setting (default when absent or empty). */
export const text = (s: StaticSettings, key: string, fallback = ''): string => {
  const v = s[key];
  return v === undefined || v === '' ? fallback : String(v);
};

/** A choice setting. */
export function choice<T extends string>(
  s: StaticSettings,
  key: string,
  choices: readonly T[],
  fallback: T,
): T {
  const v = text(s, key, fallback);
  check(
    (choices as readonly string[]).includes(v),
    'BAD_INPUT',
    `${key} must be one of ${choices.join(', ')}, got '${v}'`,
  );
  return v as T;
}

/** A number setting (integer and >= 0 with `count`). */
export function num(s: StaticSettings, key: string, fallback: number, count = false): number {
  const raw = text(s, key, String(fallback));
  const n = Number(raw);
  check(
    Number.isFinite(n) && (!count || (Number.isInteger(n) && n >= 0)),
    'BAD_INPUT',
    `${key} must be ${count ? 'a non-negative integer' : 'a number'}, got '${raw}'`,
  );
  return n;
}

/** Comma-separated non-negative integers, e.g. "263,312". */
export function indexList(s: StaticSettings, key: string): number[] | undefined {
  const raw = text(s, key);
  if (!raw) return undefined;
  return raw.split(',').map((p) => {
    const n = /^\s*\d+\s*$/.test(p) ? Number(p) : NaN;
    check(Number.isSafeInteger(n), 'BAD_INPUT', `${key} must list non-negative integers, got '${p.trim()}'`);
    return n;
  });
}

/** The vocabulary a setting names (saved directions must be given for 'directions'). */
export function vocabularyFor(m: WeightsModel, name: string, directions?: SavedDirections): Vocabulary {
  if (name === 'predictor') return unembedVocabulary(m);
  if (name === 'directions') {
    if (!directions)
      throw new DtlensError('BAD_INPUT', 'no saved directions: save some from the embeddings PCA first');
    return directionsVocabulary(directions, m.arch.dModel);
  }
  check(
    (VOCABULARY_NAMES as readonly string[]).includes(name),
    'BAD_INPUT',
    `vocab must be one of ${VOCABULARY_CHOICES.join(', ')}, got '${name}'`,
  );
  return embeddingVocabulary(m, name as (typeof VOCABULARY_NAMES)[number]);
}

/** Neuron references like "L0N5:in,L1N3:out". */
export function neuronRefs(spec: string): NeuronRef[] {
  check(spec.trim() !== '', 'BAD_INPUT', 'give neurons, e.g. L0N5:in,L1N3:out');
  return spec.split(',').map((s) => {
    const match = /^L(\d+)N(\d+)(?::(in|out))?$/.exec(s.trim());
    check(match, 'BAD_INPUT', `neurons look like L0N5:in or L1N3:out, got '${s.trim()}'`);
    return { layer: Number(match[1]), neuron: Number(match[2]), side: (match[3] ?? 'in') as 'in' | 'out' };
  });
}

/**
 * Runs one static analysis with the given settings; `directions` backs the 'directions' vocabulary.
 * `memo` (one per model) keeps the expensive parts (composition scores, baselines, full circuits,
 * SVDs) so that changing a view-only setting (figure, head, search text) recomputes nothing heavy.
 */
export function computeStatic(
  analysis: StaticAnalysis,
  m: WeightsModel,
  s: StaticSettings,
  directions?: SavedDirections,
  memo?: Map<string, unknown>,
): StaticData {
  const once = <T>(key: string, f: () => T): T => {
    if (!memo) return f();
    if (!memo.has(key)) memo.set(key, f());
    return memo.get(key) as T;
  };
  const vocab = (key = 'vocab') =>
    vocabularyFor(m, text(s, key, key === 'vocab' ? 'state' : text(s, 'vocab', 'state')), directions);
  switch (analysis) {
    case 'composition': {
      const scores = once('composition', () => compositionScores(m));
      return {
        analysis,
        scores,
        top: topCompositions(scores, Math.max(1, num(s, 'top', 10, true)), text(s, 'search')),
        graph: compositionGraph(scores, num(s, 'threshold', 0.15)),
      };
    }
    case 'meta-composition':
      return { analysis, meta: once('meta', () => metaComposition(m)) };
    case 'mlp-composition':
      const layer = num(s, 'layer', 0, true);
      return { analysis, mlp: once(`mlp ${layer}`, () => mlpComposition(m, layer)) };
    case 'ov-circuit':
      // saved directions may change between calls: never memoised
      if (text(s, 'vocab') === 'directions') return { analysis, circuit: fullOV(m, vocab()) };
      return { analysis, circuit: once(`ov ${text(s, 'vocab')}`, () => fullOV(m, vocab())) };
    case 'qk-circuit': {
      let q = vocab();
      let k = vocab('keyVocab');
      const queries = indexList(s, 'selectQueries');
      const keys = indexList(s, 'selectKeys');
      if (queries) q = selectRows(q, queries);
      if (keys) k = selectRows(k, keys);
      const c = fullQK(m, q, k);
      if (!keys) return { analysis, circuit: c };
      const summed = sumOverKeys(c);
      // DTI "Select via K": one column, the scores summed over the selected keys
      return {
        analysis,
        circuit: {
          ...c,
          colName: 'selected keys',
          colLabels: [`Σ ${k.labels.join('; ')}`],
          values: { shape: [...summed.shape, 1], data: summed.data },
        },
      };
    }
    case 'svd': {
      const circuit = choice(s, 'circuit', ['OV', 'QK'], 'OV');
      const svd = once(`svd ${circuit}`, () => headSvd(m, circuit));
      const side = choice(s, 'side', ['in', 'out'], 'out');
      const k = num(s, 'k', 3, true);
      // besides the embeddings: every head's top-k OV output directions, or one layer's neurons (those
      // writing into the residual (W_out) for the input side, those reading it (W_in) for the output side)
      const read = () => {
        const name = text(s, 'vocab', 'state');
        if (name === 'head-outputs')
          return svdDirectionsVocabulary(
            once('svd OV', () => headSvd(m, 'OV')),
            'out',
            k,
          );
        if (name === 'neurons')
          return neuronVocabulary(m, num(s, 'layer', 0, true), side === 'in' ? 'out' : 'in');
        return vocab();
      };
      const readout =
        choice(s, 'figure', ['values', 'readout'], 'values') === 'readout'
          ? svdReadout(m, svd, side, read(), k)
          : null;
      return { analysis, svd, readout };
    }
    case 'congruence': {
      const v = vocab();
      const reader = choice(s, 'reader', ['predictor', 'mlp-in', 'heads'], 'predictor');
      if (reader === 'heads') return { analysis, congruence: null, heads: headInputCongruence(m, v) };
      const r =
        reader === 'predictor' ? unembedVocabulary(m) : neuronVocabulary(m, num(s, 'layer', 0, true), 'in');
      return { analysis, congruence: congruence(m, v, r), heads: null };
    }
    case 'embeddings': {
      const v = vocab();
      const figure = choice(s, 'figure', EMBEDDING_FIGURES, 'cosine');
      const selection = indexList(s, 'select');
      const none = { analysis, norms: null, similarity: null, pca: null } as const;
      if (figure === 'norms') return { ...none, norms: { labels: v.labels, norms: vectorNorms(v) } };
      if (figure === 'cosine' || figure === 'dot')
        return { ...none, similarity: similarityMatrix(selection ? selectRows(v, selection) : v, figure) };
      const sel = selection ?? Array.from({ length: Math.min(v.labels.length, 4) }, (_, i) => i);
      return { ...none, pca: embeddingPca(v, sel, { centre: text(s, 'centre', 'no') === 'yes' }) };
    }
    case 'parameters':
      return { analysis, stats: parameterStats(m) };
    case 'neurons':
      return { analysis, neurons: neuronDirections(m, neuronRefs(text(s, 'neurons', 'L0N0:in,L0N0:out'))) };
  }
}

export const EMBEDDING_FIGURES = ['cosine', 'dot', 'pca', 'scree', 'pc-bars', 'pc-gridmap', 'norms'] as const;

const fmt = (x: number) => x.toFixed(4);

/** One line saying what was found (the CLI prints it). */
export function staticSummary(d: StaticData): string {
  switch (d.analysis) {
    case 'composition': {
      const b = d.scores.baseline.Q;
      const best = d.top
        .slice(0, 3)
        .map((e) => `${e.writer}->${e.reader} ${e.type} ${fmt(e.score)}`)
        .join(', ');
      return `baseline mean ${fmt(b.mean)} (95% ${fmt(b.lo)}..${fmt(b.hi)}); top: ${best || 'none (one layer)'}`;
    }
    case 'meta-composition': {
      const ranked = d.meta.writers
        .map((w, i) => [w.label, d.meta.totalInfluence[i]] as const)
        .sort((a, b) => b[1] - a[1]);
      return `total influence: ${ranked
        .slice(0, 4)
        .map(([l, v]) => `${l} ${fmt(v)}`)
        .join(', ')}`;
    }
    case 'mlp-composition':
      return `L${d.mlp.layer}: ${d.mlp.into.labels.length} writers in, ${d.mlp.out.labels.length} readers out, ${d.mlp.into.neurons.length} neurons`;
    case 'ov-circuit':
    case 'qk-circuit':
      return `${d.analysis === 'ov-circuit' ? 'full OV' : 'full QK'} ${d.circuit.rowName} x ${d.circuit.colName}: shape [${d.circuit.values.shape.join(', ')}]`;
    case 'svd': {
      const dh = d.svd.S.shape[2];
      return d.svd.heads.map((h, i) => `${h} σ1 ${fmt(d.svd.S.data[i * dh])}`).join(', ');
    }
    case 'congruence':
      return d.congruence
        ? `congruence ${d.congruence.writer} · ${d.congruence.reader}: [${d.congruence.values.shape.join(', ')}]`
        : `${d.heads!.vocabulary} vs every head's Q/K/V input`;
    case 'embeddings':
      if (d.norms) return `max norm ${fmt(Math.max(...d.norms.norms))}`;
      if (d.similarity) return `${d.similarity.labels.length} vectors`;
      return `explained variance: ${d.pca!.explainedVarianceRatio.map((r) => `${(100 * r).toFixed(1)}%`).join(', ')}`;
    case 'parameters':
      return `${d.stats.length} parameters`;
    case 'neurons':
      return d.neurons.labels.join(', ');
  }
}

export { COMPOSITION_TYPES };
