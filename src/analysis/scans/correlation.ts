/**
 * The clustergram of a scan: Pearson correlations between the components' responses over the scanned
 * values (DTI `df.corr()` after dropping embed, pos_embed and bias), clustered by average linkage on
 * 1 − correlation (default) or, as DTI's `plot_heatmap(cluster)`, by single linkage on the Euclidean
 * distances between rows of the correlation matrix (`dti`).
 */
import {
  type Linkage,
  type Merge,
  agglomerate,
  flatClusters,
  leafOrder,
  pearsonMatrix,
  rowDistances,
} from './clustering.ts';

export type ClusterMethod = 'average' | 'dti';

/** Components DTI drops before correlating (they do not depend on the scanned value in DTI's scans). */
export const CORRELATION_EXCLUDED = ['embed', 'pos_embed', 'bias'] as const;

export interface CorrelationResult {
  method: ClusterMethod;
  /** Components in their original order */
  labels: string[];
  /** [k][k] Pearson correlations (labels order) */
  values: number[][];
  /** Leaf order of the dendrogram: indices into labels */
  order: number[];
  /** The dendrogram (scipy linkage rows; distances in the method's metric) */
  merges: Merge[];
  /** Components that did not vary over the scan (correlation set to 0) */
  constant: string[];
  /** Flat clusters at 1 − correlation <= 0.5 (average linkage) or the same cut on the dti metric, largest first */
  clusters: string[][];
}

/** Clustergram of `values` [component][n] with `labels`, leaving out `exclude`. */
export function responseCorrelation(
  level: { labels: readonly string[]; values: readonly (readonly number[])[] },
  options: { method?: ClusterMethod; exclude?: readonly string[]; threshold?: number } = {},
): CorrelationResult {
  const method = options.method ?? 'average';
  const exclude = new Set(options.exclude ?? CORRELATION_EXCLUDED);
  const keep = level.labels.flatMap((l, i) => (exclude.has(l) ? [] : [i]));
  const labels = keep.map((i) => level.labels[i]);
  const { values, constant } = pearsonMatrix(keep.map((i) => level.values[i]));
  const linkage: Linkage = method === 'dti' ? 'single' : 'average';
  const distances = method === 'dti' ? rowDistances(values) : values.map((r) => r.map((c) => 1 - c));
  const merges = agglomerate(distances, linkage);
  const threshold = options.threshold ?? 0.5;
  return {
    method,
    labels,
    values,
    order: leafOrder(merges, labels.length),
    merges,
    constant: labels.filter((_, i) => constant[i]),
    clusters: flatClusters(merges, labels.length, threshold).map((c) => c.map((i) => labels[i])),
  };
}
