/**
 * `dtlens circuit`: automatic circuit discovery for a patching metric (`--metric`, default the logit
 * difference) on a clean/corrupted pair (edge attribution patching or ACDC-style pruning by real edge
 * patching) on a pair or, with `--all-windows`, on every pair of the file,
 * or `--evaluate` of a saved circuit; writes the
 * circuit, its faithfulness and the share of edges confirmed by real patching as JSON, and the circuit
 * graph over token positions as a figure.
 */
import type { Command } from 'commander';
import {
  CIRCUIT_METHODS,
  type CircuitMethod,
  DEFAULT_CIRCUIT_THRESHOLD,
  discoverCircuit,
  evaluateCircuit,
} from '../../../analysis/causal/circuit/discover.ts';
import { weakCorruptionWarning } from '../../../analysis/causal/metrics.ts';
import { circuitGraphFigure } from '../../../analysis/figures/circuitGraphFigures.ts';
import { DtlensError, check } from '../../../errors.ts';
import { readFileChecked } from '../../modelFile.ts';
import {
  type OutputFiles,
  type PairCliOptions,
  addMetricOptions,
  addPairOptions,
  metricFromOptions,
  readPairsSetup,
  writeOutputs,
} from '../analysisIo.ts';
import { parseChoice, parseCount, parseNumber } from '../options.ts';
import { withProgressBar } from '../progress.ts';

interface CircuitCliOptions extends PairCliOptions, OutputFiles {
  metric: string;
  neuron?: string;
  method: string;
  threshold: string;
  top?: string;
  positions: boolean;
  evaluate?: string;
  allWindows?: boolean;
}

/** Edge labels of a circuit file: this command's JSON (`edges[].label`) or a list of labels. */
function readCircuitLabels(path: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(readFileChecked(path, 'circuit file')));
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw new DtlensError('BAD_INPUT', `--evaluate: not valid JSON (${(e as Error).message})`);
  }
  const edges = Array.isArray(parsed) ? parsed : (parsed as { edges?: unknown })?.edges;
  const labels = Array.isArray(edges)
    ? edges.map((e) => (typeof e === 'string' ? e : (e as { label?: unknown })?.label))
    : [];
  check(
    Array.isArray(edges) && labels.every((l) => typeof l === 'string'),
    'BAD_INPUT',
    '--evaluate needs a circuit JSON ({edges: [{label}]}) or a list of edge labels',
  );
  return labels as string[];
}

export function registerCircuit(program: Command): void {
  const command = program
    .command('circuit')
    .description(
      'Automatic circuit discovery (edge attribution patching or ACDC) with faithfulness and confirmation by real patching',
    );
  addMetricOptions(addPairOptions(command))
    .option('--method <m>', `${CIRCUIT_METHODS.join(' | ')}`, 'eap')
    .option(
      '--threshold <t>',
      'eap: keep edges with |estimated effect| ≥ t; acdc: prune edges moving the normalised metric by < t',
      String(DEFAULT_CIRCUIT_THRESHOLD),
    )
    .option('--top <k>', 'eap: keep at most the k largest edges')
    .option('--no-positions', 'edges over all positions instead of one per token position')
    .option(
      '--all-windows',
      'every window of the input as a dataset of pairs (the metric averaged over them)',
    )
    .option(
      '--evaluate <circuit.json>',
      'evaluate a saved circuit (or a JSON list of edge labels) on this pair',
    )
    .requiredOption('--output <file>', 'circuit as JSON')
    .option('--svg <file>', 'circuit graph over token positions as SVG')
    .option('--png <file>', 'circuit graph as PNG')
    .option('--csv <file>', 'circuit edges as CSV')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  dtlens circuit --model M.safetensors --input pair.safetensors --method acdc --output circuit.json --svg circuit.svg\n' +
        '  dtlens circuit --model M.safetensors --input pair2.safetensors --evaluate circuit.json --output again.json',
    )
    .action(async (o: CircuitCliOptions) => {
      const method = parseChoice<CircuitMethod>(o.method, CIRCUIT_METHODS, '--method');
      const threshold = parseNumber(o.threshold, '--threshold');
      const top = o.top === undefined ? undefined : parseCount(o.top, '--top');
      const labels = o.evaluate === undefined ? null : readCircuitLabels(o.evaluate);
      const { weights, model, pairs } = readPairsSetup(o, o.allWindows === true);
      const options = { threshold, perPosition: o.positions, metric: metricFromOptions(o) };
      const result = await withProgressBar('circuit', (control) =>
        labels
          ? evaluateCircuit(model, pairs, labels, { ...options, ...control })
          : discoverCircuit(model, pairs, { ...options, method, top, ...control }),
      );
      const written = writeOutputs(
        o,
        { command: 'circuit', model: o.model, weights, input: o.input, ...result },
        () => circuitGraphFigure(result),
      );
      const weak = weakCorruptionWarning(result.metricLabel, result.clean, result.corrupted);
      if (weak) process.stderr.write(`warning: ${weak}\n`);
      process.stdout.write(
        `${result.pairs} pair(s); mean ${result.metricLabel}: clean ${result.clean.toFixed(4)}, corrupted ${result.corrupted.toFixed(4)}, ` +
          `circuit ${result.circuitValue.toFixed(4)}\n` +
          `${result.method} circuit: ${result.edges.length} of ${result.graphEdges} edges, faithfulness ` +
          `${result.faithfulness.toFixed(4)}, ` +
          (result.edges.length > 0
            ? `${(100 * result.confirmedShare).toFixed(0)}% confirmed by real patching\n`
            : 'no edge reaches the threshold\n') +
          result.edges
            .slice(0, 12)
            .map(
              (e) =>
                `  ${e.label}: attribution ${e.attribution.toFixed(4)}, removal ${e.removal.toFixed(4)}${e.confirmed ? '' : ' (not confirmed)'}\n`,
            )
            .join('') +
          `wrote ${written.join(', ')}\n`,
      );
    });
}
