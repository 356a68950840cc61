/**
 * `dtlens two-rtgs`: one window at two target RTGs and their difference, for the logit-difference
 * attributions (default), every head's attention pattern, or the logit lens (`--analysis`).
 */
import type { Command } from 'commander';
import {
  attentionAtTwoRtgs,
  attributionsAtTwoRtgs,
  logitLensAtTwoRtgs,
} from '../../../analysis/features/twoRtgs.ts';
import { lastStatePosition } from '../../../model/tokens.ts';
import { DECOMPOSITION_LEVELS, type DecompositionLevel } from '../../../analysis/dynamic/decomposition.ts';
import {
  attentionChangeFigure,
  attributionChangeFigure,
  logitLensChangeFigure,
} from '../../../analysis/figures/twoRtgFigures.ts';
import { createModel } from '../../../model/load.ts';
import { readModelFile } from '../../modelFile.ts';
import { directionFromOptions, readWindow, writeOutputs } from '../analysisIo.ts';
import { BACKEND_OPTION, backendFromOption, parseChoice, parseNumber } from '../options.ts';

const ANALYSES = ['attribution', 'attention', 'logit-lens'] as const;

interface TwoRtgCliOptions {
  analysis: string;
  model: string;
  input: string;
  prefix: string;
  index: string;
  low: string;
  high: string;
  level: string;
  positive: string;
  negative: string;
  backend: string;
  output: string;
  svg?: string;
  png?: string;
  csv?: string;
}

export function registerTwoRtgs(program: Command): void {
  program
    .command('two-rtgs')
    .description(
      'One window at two target RTGs and their difference: logit-difference attributions, attention patterns or the logit lens',
    )
    .option('--analysis <which>', ANALYSES.join(' | '), 'attribution')
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption('--input <file>', 'safetensors with <prefix>states, actions, rtgs, timesteps')
    .option('--prefix <p>', 'tensor name prefix in the input file', 'inputs.')
    .option('--index <i>', 'window of the batch', '0')
    .option('--low <rtg>', 'first target RTG (every RTG token)', '0')
    .option('--high <rtg>', 'second target RTG', '1')
    .option('--level <level>', DECOMPOSITION_LEVELS.join(' | '), 'components')
    .option('--positive <a>', 'action of the logit direction', '2')
    .option('--negative <a>', "action subtracted, or 'none'", '0')
    .option(...BACKEND_OPTION)
    .requiredOption('--output <file>', 'JSON result')
    .option('--svg <file>', 'difference (high − low) as a bar chart, SVG')
    .option('--png <file>', 'the same as PNG')
    .option('--csv <file>', 'figure data as CSV')
    .action((o: TwoRtgCliOptions) => {
      const model = createModel(readModelFile(o.model), backendFromOption(o.backend));
      const window = readWindow(o.input, o.prefix, o.index);
      const rtgs: [number, number] = [parseNumber(o.low, '--low'), parseNumber(o.high, '--high')];
      const analysis = parseChoice(o.analysis, ANALYSES, '--analysis');
      const head = { command: 'two-rtgs', analysis, model: o.model, input: o.input };
      if (analysis === 'attention') {
        const r = attentionAtTwoRtgs(model, window, rtgs);
        const query = lastStatePosition(r.tokenLabels.length);
        const written = writeOutputs(o, { ...head, ...r }, () => attentionChangeFigure(r, query));
        process.stdout.write(`wrote ${written.join(', ')}\n`);
        return;
      }
      if (analysis === 'logit-lens') {
        const r = logitLensAtTwoRtgs(model, window, rtgs, { direction: directionFromOptions(o) });
        const written = writeOutputs(o, { ...head, ...r }, () => logitLensChangeFigure(r));
        process.stdout.write(`wrote ${written.join(', ')}\n`);
        return;
      }
      const r = attributionsAtTwoRtgs(model, window, rtgs, {
        level: parseChoice<DecompositionLevel>(o.level, DECOMPOSITION_LEVELS, '--level'),
        direction: directionFromOptions(o),
      });
      const written = writeOutputs(o, { ...head, ...r }, () => attributionChangeFigure(r));
      const top = r.labels
        .map((l, i) => ({ l, d: r.difference[i] }))
        .sort((a, b) => Math.abs(b.d) - Math.abs(a.d))
        .slice(0, 5);
      process.stdout.write(
        `largest changes: ${top.map((t) => `${t.l} ${t.d.toFixed(3)}`).join(', ')}\nwrote ${written.join(', ')}\n`,
      );
    });
}
