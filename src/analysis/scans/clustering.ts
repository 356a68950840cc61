/**
 * Correlations between components' responses over a scan and the clustergram order: Pearson
 * correlation of every pair of rows, agglomerative clustering and the dendrogram's leaf order.
 * Merges follow scipy's `linkage` output: sorted by distance, the smaller cluster id first, new
 * clusters numbered n, n+1, ...; leaves are read left (first id) to right as `dendrogram()['leaves']`.
 */

export type Linkage = 'single' | 'average';

/** One merge of two clusters (scipy's linkage row `[left, right, distance, size]`). */
export interface Merge {
  left: number;
  right: number;
  distance: number;
  size: number;
}

/** Pearson correlation matrix of `rows` [k][n]; a constant row correlates 0 with the others (1 with itself). */
export function pearsonMatrix(rows: readonly (readonly number[])[]): {
  values: number[][];
  constant: boolean[];
} {
  const centred = rows.map((r) => {
    const mean = r.reduce((a, v) => a + v, 0) / r.length;
    const c = r.map((v) => v - mean);
    const norm = Math.sqrt(c.reduce((a, v) => a + v * v, 0));
    return { c, norm };
  });
  const constant = centred.map(({ c, norm }) => !(norm > 1e-12 * Math.sqrt(c.length)));
  const values = centred.map((a, i) =>
    centred.map((b, j) => {
      if (i === j) return 1;
      if (constant[i] || constant[j]) return 0;
      let s = 0;
      for (let t = 0; t < a.c.length; t++) s += a.c[t] * b.c[t];
      return Math.max(-1, Math.min(1, s / (a.norm * b.norm)));
    }),
  );
  return { values, constant };
}

/** Euclidean distances between the rows of a square matrix (scipy `linkage(matrix)`'s default metric). */
export function rowDistances(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((a) => matrix.map((b) => Math.sqrt(a.reduce((s, v, t) => s + (v - b[t]) ** 2, 0))));
}

/** Agglomerative clustering of k items from a symmetric distance matrix [k][k] (O(k^3), k up to a few hundred). */
export function agglomerate(distances: readonly (readonly number[])[], linkage: Linkage): Merge[] {
  const k = distances.length;
  const dist = distances.map((r) => [...r]);
  const active = Array.from({ length: k }, (_, i) => i);
  const ids = Array.from({ length: k }, (_, i) => i);
  const sizes = Array<number>(k).fill(1);
  const merges: Merge[] = [];
  while (active.length > 1) {
    let best = Infinity;
    let bi = 0;
    let bj = 1;
    for (let x = 0; x < active.length; x++)
      for (let y = x + 1; y < active.length; y++) {
        const v = dist[active[x]][active[y]];
        if (v < best) [best, bi, bj] = [v, x, y];
      }
    const a = active[bi];
    const b = active[bj];
    for (const c of active) {
      if (c === a || c === b) continue;
      const v =
        linkage === 'single'
          ? Math.min(dist[a][c], dist[b][c])
          : (dist[a][c] * sizes[a] + dist[b][c] * sizes[b]) / (sizes[a] + sizes[b]);
      dist[a][c] = dist[c][a] = v;
    }
    const size = sizes[a] + sizes[b];
    merges.push({ left: Math.min(ids[a], ids[b]), right: Math.max(ids[a], ids[b]), distance: best, size });
    sizes[a] = size;
    ids[a] = k + merges.length - 1;
    active.splice(bj, 1);
  }
  return merges;
}

/** The dendrogram's leaf order (scipy `dendrogram(Z)['leaves']` without distance or count sorting). */
export function leafOrder(merges: readonly Merge[], k: number): number[] {
  if (k === 0) return [];
  const out: number[] = [];
  const stack = [merges.length > 0 ? k + merges.length - 1 : 0];
  while (stack.length) {
    const node = stack.pop()!;
    if (node < k) out.push(node);
    else stack.push(merges[node - k].right, merges[node - k].left);
  }
  return out;
}

/** Flat clusters: items joined by merges at distance <= `threshold` (scipy `fcluster(criterion='distance')`), largest first. */
export function flatClusters(merges: readonly Merge[], k: number, threshold: number): number[][] {
  const members: number[][] = Array.from({ length: k }, (_, i) => [i]);
  const alive = new Set(members.keys());
  merges.forEach((m, s) => {
    const joined = [...members[m.left], ...members[m.right]];
    members.push(joined);
    if (m.distance <= threshold) {
      alive.delete(m.left);
      alive.delete(m.right);
      alive.add(k + s);
    }
  });
  return [...alive]
    .map((c) => [...members[c]].sort((a, b) => a - b))
    .sort((a, b) => b.length - a.length || a[0] - b[0]);
}
