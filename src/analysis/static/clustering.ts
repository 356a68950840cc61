/**
 * Leaf order of single-linkage hierarchical clustering with Euclidean distances between rows (the
 * defaults of scipy's `linkage` that DTI's heatmaps use), from the minimum spanning tree (Prim, O(n²)).
 * Clusters merge in order of increasing distance; the merged order is the older cluster's leaves first.
 */
export function singleLinkageOrder(rows: Float32Array, n: number, d: number): number[] {
  if (n <= 2) return Array.from({ length: n }, (_, i) => i);
  const dist = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += (rows[i * d + k] - rows[j * d + k]) ** 2;
    return Math.sqrt(s);
  };
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const parent = new Int32Array(n).fill(-1);
  const edges: [number, number, number][] = [];
  let cur = 0;
  inTree[0] = 1;
  for (let step = 1; step < n; step++) {
    let next = -1;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const dj = dist(cur, j);
      if (dj < best[j]) {
        best[j] = dj;
        parent[j] = cur;
      }
      if (next < 0 || best[j] < best[next]) next = j;
    }
    inTree[next] = 1;
    edges.push([best[next], parent[next], next]);
    cur = next;
  }
  edges.sort((a, b) => a[0] - b[0]);
  const owner = Array.from({ length: n }, (_, i) => i);
  const leaves = new Map<number, number[]>(owner.map((i) => [i, [i]]));
  const find = (i: number): number => (owner[i] === i ? i : (owner[i] = find(owner[i])));
  for (const [, a, b] of edges) {
    const ra = find(a);
    const rb = find(b);
    const [first, second] = ra < rb ? [ra, rb] : [rb, ra];
    leaves.set(first, [...leaves.get(first)!, ...leaves.get(second)!]);
    leaves.delete(second);
    owner[second] = first;
  }
  return leaves.get(find(0))!;
}
