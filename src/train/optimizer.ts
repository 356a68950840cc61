/**
 * AdamW (torch semantics: decoupled weight decay p -= lr·wd·p, bias-corrected moments) over
 * `Parameter`s, updating their arrays in place. Only parameters with `decay` get weight decay
 * (DTI's minGPT-style groups).
 */
import type { Parameter } from './parameters.ts';

export interface AdamWOptions {
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class AdamW {
  readonly m: Map<string, Float32Array>;
  readonly v: Map<string, Float32Array>;
  step = 0;

  constructor(
    readonly params: readonly Parameter[],
    readonly options: AdamWOptions,
  ) {
    this.m = new Map(params.map((p) => [p.name, new Float32Array(p.data.length)]));
    this.v = new Map(params.map((p) => [p.name, new Float32Array(p.data.length)]));
  }

  /** One update at learning rate `lr` with gradients by parameter name. */
  update(grads: ReadonlyMap<string, Float32Array>, lr: number): void {
    const { weightDecay, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = this.options;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (!g) continue;
      const m = this.m.get(p.name)!;
      const v = this.v.get(p.name)!;
      const decay = p.decay ? 1 - lr * weightDecay : 1;
      const x = p.data;
      for (let i = 0; i < x.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        x[i] = x[i] * decay - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    }
  }
}
