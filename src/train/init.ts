/**
 * A freshly initialised Decision Transformer checkpoint (DTI `initialize_weights`, `dti_spec.md` §1.10):
 * every weight matrix and embedding N(0, 0.02), biases 0, layer norms w = 1 and b = 0, plus the
 * attention buffers (causal mask, IGNORE = -1e5). Deterministic for a seed.
 */
import type { Checkpoint } from '../io/checkpoint.ts';
import { expectedStateDict } from '../io/checkpoint.ts';
import type { RawTensor } from '../io/rawTensor.ts';
import type { EnvConfig, ModelConfig } from '../config/config.ts';
import { MASKED_SCORE } from '../model/transformer.ts';
import { npRandom } from '../env/rng/index.ts';

const INIT_STD = 0.02;

/** Standard normal draws (Box-Muller) from a uniform generator. */
export function normalSampler(rng: { random(): number }): () => number {
  return () => {
    const u = 1 - rng.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.random());
  };
}

export function initialCheckpoint(
  model: ModelConfig,
  env: EnvConfig,
  nActions: number,
  obsShape: [number, number, number],
  seed: number,
): Checkpoint {
  const normal = normalSampler(npRandom(seed));
  const base = { model, env, nActions, obsShape };
  const weights = new Map<string, RawTensor>();
  for (const [name, { shape, kind }] of expectedStateDict(base)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (kind === 'bool') {
      const mask = new Uint8Array(n);
      for (let i = 0; i < shape[0]; i++) for (let j = 0; j <= i; j++) mask[i * shape[1] + j] = 1;
      weights.set(name, { dtype: 'BOOL', shape, data: mask });
      continue;
    }
    const data = new Float32Array(n);
    if (name.endsWith('.IGNORE')) data.fill(MASKED_SCORE);
    else if (/\.ln\w*\.w$|ln_final\.w$/.test(name)) data.fill(1);
    else if (!/(\.bias|\.b|\.b_\w+)$/.test(name)) for (let i = 0; i < n; i++) data[i] = INIT_STD * normal();
    weights.set(name, { dtype: 'F32', shape, data });
  }
  return {
    format: 'dtlens',
    ...base,
    weights,
    provenance: { created: 'dtlens train (fresh initialisation)' },
  };
}
