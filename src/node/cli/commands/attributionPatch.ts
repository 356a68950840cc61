/**
 * `dtlens attribution-patch`: the first-order estimate of DTI's activation-patching sweeps of a window
 * pair from one backward pass, and (unless `--no-compare`) the real sweeps with the error of the
 * estimate (Pearson correlation, worst cells), as JSON.
 */
import type { Command } from 'commander';
import { attributionPatching, compareWithPatching } from '../../../analysis/causal/attributionPatching.ts';
import {
  PATCH_MODES,
  PATCH_SWEEPS,
  type PatchMode,
  type PatchSweepKind,
  type PatchSweepRequest,
} from '../../../analysis/causal/patching.ts';
import {
  type PairCliOptions,
  addMetricOptions,
  addPairOptions,
  metricFromOptions,
  readPairSetup,
  writeOutputs,
} from '../analysisIo.ts';
import { parseChoice, parseCount } from '../options.ts';

/** `kind` or `kind:layer` (the MLP layer of neuron sweeps). */
function parseSweep(term: string): PatchSweepRequest {
  const [kind, layer] = term.trim().split(':');
  return {
    kind: parseChoice<PatchSweepKind>(kind, PATCH_SWEEPS, '--sweeps'),
    ...(layer !== undefined && { layer: parseCount(layer, `the layer of ${kind}`) }),
  };
}

interface AttributionCliOptions extends PairCliOptions {
  metric: string;
  neuron?: string;
  mode: string;
  sweeps?: string;
  compare: boolean;
  output: string;
}

export function registerAttributionPatch(program: Command): void {
  const command = program
    .command('attribution-patch')
    .description(
      'Attribution patching: first-order activation-patching sweeps from one backward pass, vs real patching',
    );
  addMetricOptions(addPairOptions(command))
    .option('--mode <m>', 'noise (run clean, patch corrupted in) | denoise', 'noise')
    .option(
      '--sweeps <list>',
      `sweeps (${PATCH_SWEEPS.join(', ')}; neuron sweeps take :layer); default block_every, head_all_pos_every, head_out_by_pos and mlp_neurons of every layer`,
    )
    .option('--no-compare', 'skip the real patching sweeps')
    .requiredOption('--output <file>', 'results as JSON')
    .action(async (o: AttributionCliOptions) => {
      const mode = parseChoice<PatchMode>(o.mode, PATCH_MODES, '--mode');
      const { weights, model, pair } = readPairSetup(o);
      const requests: PatchSweepRequest[] = o.sweeps
        ? o.sweeps.split(',').map(parseSweep)
        : [
            { kind: 'block_every' },
            { kind: 'head_all_pos_every' },
            { kind: 'head_out_by_pos' },
            ...Array.from({ length: model.arch.nLayers }, (_, layer) => ({
              kind: 'mlp_neurons' as const,
              layer,
            })),
          ];
      const metric = metricFromOptions(o);
      const estimates = attributionPatching(model, pair, mode, requests, metric);
      const compared = o.compare ? await compareWithPatching(model, pair, estimates, metric) : null;
      const sweeps = estimates.map((r, k) => {
        const c = compared?.[k];
        const name = `${r.sweep.kind}${r.sweep.layer === undefined ? '' : `:${r.sweep.layer}`}`;
        process.stdout.write(
          `${name} [${r.shape.join(', ')}]${c ? `, correlation with real patching ${c.correlation.toFixed(4)}` : ''}\n`,
        );
        return {
          ...r,
          attribution: Array.from(r.attribution),
          ...(c && { actual: Array.from(c.actual), correlation: c.correlation, worst: c.worst }),
        };
      });
      const written = writeOutputs(o, {
        command: 'attribution-patch',
        model: o.model,
        weights,
        input: o.input,
        mode,
        metric,
        sweeps,
      });
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}
