/**
 * Circuit discovery on MemoryGatedMLP (golden pairA; a random model of its shape when ../shared is
 * absent), edges per token position. Target: edge attribution for every edge in <= 3 forward/backward
 * passes of the pair: the pair's two cached forwards and one backward; the forwards run during the
 * attribution are counted (0) and its time is given in units of one cached forward. Also the full EAP
 * discovery (with its real-patching evaluation) and ACDC pruning, timed once each.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { discoverCircuit } from '../src/analysis/causal/circuit/discover.ts';
import { edgeAttribution } from '../src/analysis/causal/circuit/eap.ts';
import { circuitGraph } from '../src/analysis/causal/circuit/graph.ts';
import { metricActivationGrads } from '../src/analysis/causal/attributionPatching.ts';
import { patchPair } from '../src/analysis/causal/patching.ts';
import { DEFAULT_LOGIT_DIRECTION } from '../src/analysis/dynamic/logitDirection.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { inputsFromTensors } from '../src/model/inputs.ts';
import { createModel } from '../src/model/load.ts';
import { nodeGemm } from '../src/node/gemm.ts';
import { MEMORY_GATED_MLP_ARCH, randomInputs, randomModel } from '../test/support/randomModel.ts';
import { compareMs, printTable, targetStatus } from './harness.ts';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const MODEL_PATH = `${SHARED}models/MemoryGatedMLP.pt`;
const PAIR_PATH = `${SHARED}golden/analysis/MemoryGatedMLP/pairA_raw.safetensors`;

function setup() {
  const gemm = nodeGemm('auto');
  if (existsSync(MODEL_PATH) && existsSync(PAIR_PATH)) {
    const model = createModel(loadCheckpoint(new Uint8Array(readFileSync(MODEL_PATH))), { gemm });
    const t = readSafetensors(new Uint8Array(readFileSync(PAIR_PATH))).tensors;
    return { model, clean: inputsFromTensors(t, 'clean.'), corrupted: inputsFromTensors(t, 'corrupted.') };
  }
  const model = randomModel(MEMORY_GATED_MLP_ARCH, { gemm });
  return {
    model,
    clean: randomInputs(MEMORY_GATED_MLP_ARCH, 1, 9, 1),
    corrupted: randomInputs(MEMORY_GATED_MLP_ARCH, 1, 9, 2),
  };
}

async function onceMs(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export default async function run(): Promise<void> {
  console.log(existsSync(MODEL_PATH) ? `model: ${MODEL_PATH}, pairA` : 'model: random (../shared absent)');
  const { model, clean, corrupted } = setup();
  const pair = patchPair(model, clean, corrupted);
  const graph = circuitGraph(model.arch, pair.cleanTokens.shape[1], true);
  let forwards = 0;
  const runFromTokens = model.runFromTokens.bind(model);
  model.runFromTokens = (...args) => (forwards++, runFromTokens(...args));
  const metric = { kind: 'logit-diff' as const, direction: DEFAULT_LOGIT_DIRECTION };
  edgeAttribution(model, pair, graph, metric);
  const forwardsInEap = forwards;
  const [forward, backward, eap] = compareMs([
    () => model.run(clean, { cache: true }),
    () => metricActivationGrads(model, pair, pair.clean, metric),
    () => edgeAttribution(model, pair, graph, metric),
  ]);
  const eapDiscovery = await onceMs(() => discoverCircuit(model, pair, { method: 'eap' }));
  const acdc = await onceMs(() => discoverCircuit(model, pair, { method: 'acdc' }));
  const passes = 2 + 1; // the pair's two cached forwards + the backward inside edgeAttribution
  printTable(
    ['circuit discovery (per-position edges)', 'ms', 'note'],
    [
      ['one cached forward of a window', forward.toFixed(1), 'the pair holds two'],
      ['one backward of the logit difference', backward.toFixed(1), ''],
      [
        `edge attribution, all ${graph.edges.length} edges`,
        eap.toFixed(1),
        `${forwardsInEap} forwards run, ${passes} passes incl. the pair: ${targetStatus(forwardsInEap === 0)} (<= 3)`,
      ],
      ['EAP discovery + real-patching evaluation', eapDiscovery.toFixed(0), 'once'],
      ['ACDC pruning + evaluation', acdc.toFixed(0), 'once'],
    ],
  );
}
