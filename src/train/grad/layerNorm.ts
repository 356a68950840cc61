/**
 * Backward of TransformerLens LayerNorm / LayerNormPre over the last axis:
 * x̂ = (x - mean(x)) / s with s = sqrt(mean((x - mean)²) + eps), out = x̂·w + b ("LN") or x̂ ("LNPre").
 * Uses the forward's cached `hook_scale` s and recomputes x̂ from the input.
 */
export interface LayerNormGrads {
  /** dL/dx [rows, d] */
  dx: Float32Array;
}

/**
 * x [rows, d] (the LN input), scale [rows] (hook_scale), dOut [rows, d] (dL/d hook_normalized).
 * With `w` ("LN"), accumulates dw += Σ dOut·x̂ and db += Σ dOut when those buffers are given.
 * dx = (g - mean(g) - x̂·mean(g·x̂)) / s with g = dOut·w.
 */
export function layerNormBackward(
  x: Float32Array,
  scale: Float32Array,
  dOut: Float32Array,
  d: number,
  affine?: { w: Float32Array; dw?: Float32Array; db?: Float32Array },
): Float32Array {
  const dx = new Float32Array(x.length);
  const xhat = new Float64Array(d);
  const g = new Float64Array(d);
  for (let r = 0, o = 0; o < x.length; r++, o += d) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[o + j];
    mean /= d;
    const s = scale[r];
    let gMean = 0;
    let gxMean = 0;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - mean) / s;
      xhat[j] = xh;
      const dy = dOut[o + j];
      if (affine) {
        if (affine.dw) affine.dw[j] += dy * xh;
        if (affine.db) affine.db[j] += dy;
      }
      const gj = affine ? dy * affine.w[j] : dy;
      g[j] = gj;
      gMean += gj;
      gxMean += gj * xh;
    }
    gMean /= d;
    gxMean /= d;
    for (let j = 0; j < d; j++) dx[o + j] = (g[j] - gMean - xhat[j] * gxMean) / s;
  }
  return dx;
}
