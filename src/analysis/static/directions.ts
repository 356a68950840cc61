/**
 * Saved directions: named residual-stream vectors (e.g. PCA components of embeddings) kept by the
 * session or written to a safetensors file, and read back as a vocabulary for the full circuits.
 * File layout: one F32 tensor `directions [k, d]`, labels and provenance in the metadata.
 */
import { check } from '../../errors.ts';
import type { RawTensor } from '../../io/rawTensor.ts';
import { toFloat32 } from '../../io/rawTensor.ts';
import type { NdArray } from '../dynamic/run.ts';
import type { Vocabulary } from './vocabularies.ts';

export interface SavedDirections {
  name: string;
  labels: string[];
  /** [k, d] */
  vectors: NdArray;
  /** How they were made, e.g. "PCA of state embeddings key, (2,4), ball, (2,4)" */
  source: string;
}

/** Checks shapes and labels; returns the directions unchanged. */
export function checkDirections(s: SavedDirections): SavedDirections {
  const [k, d] = s.vectors.shape;
  check(
    s.vectors.shape.length === 2 && s.vectors.data.length === k * d && k >= 1,
    'BAD_SHAPE',
    `saved directions "${s.name}" must be a non-empty [k, d] matrix`,
  );
  check(
    s.labels.length === k,
    'BAD_SHAPE',
    `saved directions "${s.name}" have ${k} vectors but ${s.labels.length} labels`,
  );
  return s;
}

/** The tensors and metadata of a directions file (for `writeSafetensors`). */
export function directionsToTensors(s: SavedDirections): {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string>;
} {
  checkDirections(s);
  return {
    tensors: { directions: { dtype: 'F32', shape: [...s.vectors.shape], data: s.vectors.data } },
    metadata: { name: s.name, labels: JSON.stringify(s.labels), source: s.source },
  };
}

/** Directions from a file's tensors and metadata (BAD_INPUT when it is not a directions file). */
export function directionsFromTensors(
  tensors: ReadonlyMap<string, RawTensor>,
  metadata: Record<string, string> | undefined,
): SavedDirections {
  const t = tensors.get('directions');
  check(t && t.shape.length === 2, 'BAD_INPUT', 'not a directions file: no "directions [k, d]" tensor');
  let labels: unknown;
  try {
    labels = JSON.parse(metadata?.labels ?? 'null');
  } catch {
    labels = null;
  }
  const k = t.shape[0];
  const names =
    Array.isArray(labels) && labels.length === k
      ? labels.map(String)
      : Array.from({ length: k }, (_, i) => `D${i}`);
  return checkDirections({
    name: metadata?.name ?? 'directions',
    labels: names,
    vectors: { shape: [...t.shape], data: toFloat32(t) },
    source: metadata?.source ?? '',
  });
}

/** Saved directions as a vocabulary of a model with width dModel (BAD_SHAPE when the width differs). */
export function directionsVocabulary(s: SavedDirections, dModel: number): Vocabulary {
  checkDirections(s);
  check(
    s.vectors.shape[1] === dModel,
    'BAD_SHAPE',
    `saved directions "${s.name}" have width ${s.vectors.shape[1]}, the model's residual stream has ${dModel}`,
  );
  return { name: s.name, labels: s.labels, vectors: s.vectors };
}
