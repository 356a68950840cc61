/**
 * SAEs as safetensors: `W_enc [dIn, m]`, `b_enc [m]`, `W_dec [m, dOut]`, `b_dec [dOut]`, the AdamW
 * moments `adam.m.<name>` / `adam.v.<name>` (to resume), and metadata `dtlens.sae` (JSON: config, the
 * hook points and token it reads, the model it was trained on, the training record).
 */
import { DtlensError, check } from '../../errors.ts';
import { toFloat32 } from '../../io/rawTensor.ts';
import { readSafetensors, writeSafetensors } from '../../io/safetensors.ts';
import type { RawTensor } from '../../io/rawTensor.ts';
import type { DTArchitecture } from '../../model/architecture.ts';
import { POSITION_KINDS, type PositionKind } from './activations.ts';
import { SAE_KINDS, type Sae, type SaeTraining, startTraining } from './sae.ts';

/** Where an SAE reads and writes, and what it was trained on. */
export interface SaeSite {
  /** Hook point read (an SAE also writes there). */
  hook: string;
  /** Transcoders: the hook point written (e.g. `blocks.0.hook_mlp_out`). */
  outputHook?: string;
  position: PositionKind;
  /** The model's shape, checked when the SAE is used with a model. */
  model: { envId: string; dModel: number; nLayers: number; nCtx: number };
}

export interface SaeFile {
  training: SaeTraining;
  site: SaeSite;
  /** Free-form training record: options, rows, metrics, losses. */
  record: Record<string, unknown>;
}

const META = 'dtlens.sae';
const NAMES = ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const;

export function writeSae(file: SaeFile): Uint8Array {
  const { sae, optimizer } = file.training;
  const { dIn, dOut, latents: m } = sae.config;
  const shapes: Record<(typeof NAMES)[number], number[]> = {
    W_enc: [dIn, m],
    b_enc: [m],
    W_dec: [m, dOut],
    b_dec: [dOut],
  };
  const tensors: Record<string, RawTensor> = {};
  for (const name of NAMES) {
    const f32 = (data: Float32Array): RawTensor => ({ dtype: 'F32', shape: shapes[name], data });
    tensors[name] = f32(sae[name]);
    tensors[`adam.m.${name}`] = f32(optimizer.m.get(name)!);
    tensors[`adam.v.${name}`] = f32(optimizer.v.get(name)!);
  }
  return writeSafetensors(tensors, {
    [META]: JSON.stringify({
      version: 1,
      config: sae.config,
      site: file.site,
      optimizer_step: optimizer.step,
      record: { ...file.record, losses: file.training.losses },
    }),
  });
}

export function readSae(bytes: Uint8Array): SaeFile {
  const { tensors, metadata } = readSafetensors(bytes);
  const bad = (msg: string) => new DtlensError('BAD_INPUT', `not a dtlens SAE file: ${msg}`);
  let meta: {
    config?: Sae['config'];
    site?: SaeSite;
    optimizer_step?: number;
    record?: Record<string, unknown>;
  };
  try {
    meta = JSON.parse(metadata[META] ?? 'null') ?? {};
  } catch {
    throw bad('its dtlens.sae metadata is not JSON');
  }
  const c = meta.config;
  if (!c || !meta.site) throw bad('no dtlens.sae metadata');
  check(
    SAE_KINDS.includes(c.kind) && [c.dIn, c.dOut, c.latents, c.k].every((v) => Number.isInteger(v) && v > 0),
    'BAD_INPUT',
    'SAE file: config must have a kind (topk | relu) and positive integer dIn, dOut, latents, k',
  );
  check(
    POSITION_KINDS.includes(meta.site.position),
    'BAD_INPUT',
    'SAE file: site.position must be S, R or A',
  );
  const expected = { W_enc: c.dIn * c.latents, b_enc: c.latents, W_dec: c.latents * c.dOut, b_dec: c.dOut };
  const get = (name: string, n: number) => {
    const t = tensors.get(name);
    if (!t) throw bad(`no "${name}" tensor`);
    const v = toFloat32(t);
    check(v.length === n, 'BAD_INPUT', `SAE file: "${name}" has ${v.length} values, the config needs ${n}`);
    return v;
  };
  const sae: Sae = {
    config: c,
    W_enc: get('W_enc', expected.W_enc),
    b_enc: get('b_enc', expected.b_enc),
    W_dec: get('W_dec', expected.W_dec),
    b_dec: get('b_dec', expected.b_dec),
  };
  const training = startTraining(sae);
  for (const name of NAMES)
    if (tensors.has(`adam.m.${name}`)) {
      training.optimizer.m.set(name, get(`adam.m.${name}`, expected[name]));
      training.optimizer.v.set(name, get(`adam.v.${name}`, expected[name]));
    }
  training.optimizer.step = meta.optimizer_step ?? 0;
  const record = meta.record ?? {};
  if (Array.isArray(record.losses)) training.losses.push(...(record.losses as number[]));
  return { training, site: meta.site, record };
}

/** The model fingerprint stored with an SAE. */
export function modelFingerprint(arch: DTArchitecture, envId: string): SaeSite['model'] {
  return { envId, dModel: arch.dModel, nLayers: arch.nLayers, nCtx: arch.nCtx };
}

/** Checks that an SAE fits a model: same fingerprint, and its hook's vector width is the SAE's. */
export function checkSaeFits(file: SaeFile, arch: DTArchitecture, envId: string, hookWidth: number): void {
  const want = JSON.stringify(file.site.model);
  const have = JSON.stringify(modelFingerprint(arch, envId));
  check(want === have, 'BAD_INPUT', `the SAE was trained on a model ${want}, this one is ${have}`);
  check(
    hookWidth === file.training.sae.config.dIn,
    'BAD_SHAPE',
    `the SAE reads vectors of width ${file.training.sae.config.dIn}, ${file.site.hook} has width ${hookWidth}`,
  );
}
