/**
 * Cache browser: any cached hook point as a 2-D slice with labelled axes. The caller picks which
 * dimensions are rows and columns and fixes an index for every other one (e.g. a pattern
 * [batch, head, query, key] as query × key for head 2). Dimension names follow TransformerLens.
 */
import { check } from '../../errors.ts';
import { type AnalysisRun, type NdArray, resolveIndex } from './run.ts';

export interface CacheSliceRequest {
  hook: string;
  /** Dimension names (see `hookDimensions`) */
  rows: string;
  cols: string;
  /** Index of every other dimension (default 0; negative counts from the end) */
  fixed?: Readonly<Record<string, number>>;
}

export interface CacheSlice {
  hook: string;
  dims: string[];
  shape: number[];
  rows: string;
  cols: string;
  /** Resolved index of every dimension that is neither rows nor cols */
  fixed: Record<string, number>;
  rowLabels: string[];
  colLabels: string[];
  /** [rows, cols] */
  data: NdArray;
}

/** TransformerLens dimension names of a hook point's activation. */
export function hookDimensions(hook: string, rank: number): string[] {
  const byRank = (names: string[]) => (names.length === rank ? names : genericDims(rank));
  if (/attn\.hook_(pattern|attn_scores)$/.test(hook)) return byRank(['batch', 'head', 'query', 'key']);
  if (/attn\.hook_(q|k|v|z)$/.test(hook)) return byRank(['batch', 'pos', 'head', 'd_head']);
  if (/attn\.hook_result$/.test(hook)) return byRank(['batch', 'pos', 'head', 'd_model']);
  if (/hook_scale$/.test(hook)) return byRank(['batch', 'pos', 'scale']);
  if (/mlp\.hook_(pre|pre_linear|mid|post)$/.test(hook)) return byRank(['batch', 'pos', 'neuron']);
  return byRank(['batch', 'pos', 'd_model']);
}

const genericDims = (rank: number) => Array.from({ length: rank }, (_, i) => `dim${i}`);

/** The usual view of a hook: query × key (head 0) for patterns, position × the last dimension otherwise. */
export function defaultSliceRequest(run: AnalysisRun, hook: string): CacheSliceRequest {
  const dims = hookDimensions(hook, run.cache.get(hook).rank);
  if (dims.includes('query')) return { hook, rows: 'query', cols: 'key' };
  const rows = dims.includes('pos') ? 'pos' : dims[0];
  return { hook, rows, cols: dims[dims.length - 1] };
}

export function cacheSlice(run: AnalysisRun, request: CacheSliceRequest): CacheSlice {
  const t = run.cache.get(request.hook);
  const dims = hookDimensions(request.hook, t.rank);
  const axis = (name: string) => {
    const i = dims.indexOf(name);
    check(i >= 0, 'BAD_INPUT', `${request.hook} has no dimension "${name}" (dimensions: ${dims.join(', ')})`);
    return i;
  };
  const ra = axis(request.rows);
  const ca = axis(request.cols);
  check(ra !== ca, 'BAD_INPUT', 'rows and columns must be different dimensions');
  for (const name of Object.keys(request.fixed ?? {})) axis(name);
  const fixed: Record<string, number> = {};
  const index = dims.map((name, i) => {
    if (i === ra || i === ca) return 0;
    const v = resolveIndex(request.fixed?.[name] ?? 0, t.shape[i], `index of ${name}`);
    fixed[name] = v;
    return v;
  });
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, s) => a * s, 1));
  const base = index.reduce((a, v, i) => a + v * strides[i], 0);
  const R = t.shape[ra];
  const C = t.shape[ca];
  const data = new Float32Array(R * C);
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) data[r * C + c] = t.data[base + r * strides[ra] + c * strides[ca]];
  const labels = (i: number) => axisLabels(dims[i], t.shape[i], run.tokenLabels);
  return {
    hook: request.hook,
    dims,
    shape: [...t.shape],
    rows: request.rows,
    cols: request.cols,
    fixed,
    rowLabels: labels(ra),
    colLabels: labels(ca),
    data: { shape: [R, C], data },
  };
}

/** Token labels for positions, `H{h}` for heads, indices otherwise. */
function axisLabels(dim: string, n: number, tokens: string[]): string[] {
  if ((dim === 'pos' || dim === 'query' || dim === 'key') && n === tokens.length) return tokens;
  if (dim === 'head') return Array.from({ length: n }, (_, i) => `H${i}`);
  return Array.from({ length: n }, (_, i) => String(i));
}
