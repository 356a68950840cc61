/**
 * `dtlens evaluate`: DTI's calibration curve. Rolls the model out at each target RTG and writes the mean
 * return and success rate per RTG as JSON, plus the curve as an SVG line plot.
 */
import type { Command } from 'commander';
import { check } from '../../../errors.ts';
import { createModel } from '../../../model/load.ts';
import { calibrationFigure, calibrationRecord } from '../../../train/calibration.ts';
import { evaluateAtRtgs } from '../../../train/rollout.ts';
import { renderFigureSvg } from '../../figures.ts';
import { readModelFile } from '../../modelFile.ts';
import { BACKEND_OPTION, backendFromOption, parseCount, parseNumberList } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface EvaluateCliOptions {
  model: string;
  env?: string;
  rtg: string;
  episodes: string;
  seed: string;
  maxSteps: string;
  output?: string;
  plot?: string;
  backend: string;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('Calibration: mean return and success rate of a model per target RTG (JSON + SVG plot)')
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .option('--env <id>', "environment id (default: the model's)")
    .option('--rtg <list>', 'target RTGs', '0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1')
    .option('--episodes <n>', 'episodes per target RTG', '100')
    .option('--seed <n>', 'episode i resets with seed + i', '1000000')
    .option('--max-steps <n>', 'step cap per episode (counts as a failure)', '100')
    .option('--output <file>', 'calibration JSON (default: print to stdout)')
    .option('--plot <file>', 'calibration plot (.svg)')
    .option(...BACKEND_OPTION)
    .action((o: EvaluateCliOptions) => {
      const backend = backendFromOption(o.backend);
      const rtgs = parseNumberList(o.rtg, '--rtg');
      const episodes = parseCount(o.episodes, '--episodes');
      check(episodes > 0, 'BAD_INPUT', '--episodes must be at least 1');
      const ckpt = readModelFile(o.model);
      const env = { ...ckpt.env, envId: o.env ?? ckpt.env.envId };
      const model = createModel(ckpt, { weights: 'raw', ...backend });
      const seed = parseCount(o.seed, '--seed');
      const results = evaluateAtRtgs(model, rtgs, {
        env,
        episodes,
        seed,
        maxEpisodeSteps: parseCount(o.maxSteps, '--max-steps'),
      });
      const record = calibrationRecord(o.model, env.envId, seed, results);
      const json = `${JSON.stringify(record, null, 2)}\n`;
      if (o.output) writeOutputFile(o.output, json);
      else process.stdout.write(json);
      if (o.plot) writeOutputFile(o.plot, renderFigureSvg(calibrationFigure(record)));
      for (const r of results)
        process.stderr.write(
          `RTG ${r.targetRtg.toFixed(2)}: success ${(r.successRate * 100).toFixed(1)}%, mean return ${r.meanReturn.toFixed(3)}, mean length ${r.meanLength.toFixed(1)}\n`,
        );
    });
}
