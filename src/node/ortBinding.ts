/**
 * onnxruntime-node's synchronous native binding, shared by `OrtGemm` and `OrtFusedCore`.
 *
 * The public `InferenceSession.run` of onnxruntime-node is async only because it defers the native
 * call with `setImmediate`; the binding itself (`onnxruntime-node/dist/binding.js`) loads and runs
 * sessions synchronously, so dtlens calls it directly (initialised by the package's own `initOrt`).
 */
import { createRequire } from 'node:module';
import type * as OrtBinding from 'onnxruntime-node/dist/binding.js';
import type * as Ort from 'onnxruntime-node';
import { check } from '../errors.ts';

const require = createRequire(import.meta.url);
const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as typeof OrtBinding;
/** The Tensor class the binding was initialised with (the package's CommonJS onnxruntime-common). */
export const { Tensor: OrtTensor } = require('onnxruntime-node') as typeof Ort;

export type NativeSession = InstanceType<typeof binding.InferenceSession>;

export interface OrtSessionOptions {
  /** Intra-op threads (default 2: both cores of the target machine). */
  threads?: number;
  /** Let idle pool threads spin between calls (default false). */
  spinning?: boolean;
}

let initialised = false;

/** A native session for a serialized ONNX model, with sequential execution and all graph optimisations. */
export function loadOrtSession(model: Uint8Array, options: OrtSessionOptions = {}): NativeSession {
  if (!initialised) {
    check(
      typeof binding?.InferenceSession === 'function' && typeof initOrt === 'function',
      'UNSUPPORTED',
      'onnxruntime-node no longer exposes its synchronous binding (dist/binding.js); dtlens needs 1.30.x',
    );
    initOrt();
    initialised = true;
  }
  const session = new binding.InferenceSession();
  session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
    intraOpNumThreads: options.threads ?? 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
  });
  return session;
}
