/** DTI's "Normalize" of a scan's decomposition: each component min-max scaled to [0, 1] over the scan. */

/** `values` [component][n] with each row mapped to (v − min) / (max − min); a constant row becomes 0. */
export function normalizeResponses(values: readonly (readonly number[])[]): number[][] {
  return values.map((row) => {
    const min = Math.min(...row);
    const range = Math.max(...row) - min;
    return row.map((v) => (range > 0 ? (v - min) / range : 0));
  });
}
