/**
 * `dtlens forward`: runs a model on input windows (golden-file layout) and writes the predictions,
 * the transformer output and optionally the full activation cache as safetensors.
 */
import type { Command } from 'commander';
import { type RawTensor, firstNonFinite } from '../../../io/rawTensor.ts';
import { DtlensError } from '../../../errors.ts';
import { readSafetensors } from '../../../io/safetensors.ts';
import { writeSafetensors } from '../../../io/safetensors.ts';
import type { PredictionHead } from '../../../model/decisionTransformer.ts';
import { inputsFromTensors } from '../../../model/inputs.ts';
import { createModel } from '../../../model/load.ts';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../model/processing.ts';
import type { Tensor } from '../../../tensor/tensor.ts';
import { loadFileWith, readModelFile } from '../../modelFile.ts';
import { BACKEND_OPTION, backendFromOption, parseChoice } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface ForwardOptions {
  model: string;
  input: string;
  output: string;
  weights: string;
  cache?: boolean;
  backend: string;
}

const asRaw = (t: Tensor): RawTensor => ({ dtype: 'F32', shape: [...t.shape], data: t.data });

/** Reports outputs holding NaN or Inf (a broken model, or one loaded with --allow-non-finite-weights). */
function checkFiniteOutputs(out: Record<string, RawTensor>, file: string): void {
  const bad = Object.keys(out).filter((name) => firstNonFinite(out[name]) >= 0);
  if (bad.length > 0)
    throw new DtlensError(
      'NON_FINITE',
      `the model produced NaN or infinite values in ${bad.join(', ')}; they were written anyway (${file})`,
    );
}

export function registerForward(program: Command): void {
  program
    .command('forward')
    .description(
      'Run a model on input windows and save predictions (and the activation cache) as safetensors',
    )
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption(
      '--input <file>',
      'safetensors with inputs.states [B,T,7,7,C], inputs.rtgs [B,T,1], inputs.timesteps [B,T,1] and optional inputs.actions [B,T-1,1] (absent = no actions, length 0 = empty actions)',
    )
    .requiredOption(
      '--output <file>',
      'output safetensors: action_preds, state_preds, reward_preds, transformer_out, cache.<hook>',
    )
    .option('--weights <variant>', `weight processing: ${WEIGHT_VARIANTS.join(' | ')}`, 'raw')
    .option('--cache', 'also write every hook point as cache.<hook name>')
    .option(...BACKEND_OPTION)
    .action((opts: ForwardOptions) => {
      const weights = parseChoice<WeightVariant>(opts.weights, WEIGHT_VARIANTS, '--weights');
      const model = createModel(readModelFile(opts.model), { weights, ...backendFromOption(opts.backend) });
      const inputs = loadFileWith(opts.input, 'input file', (bytes) =>
        inputsFromTensors(readSafetensors(bytes).tensors),
      );
      const noActions = inputs.actions === null;
      const heads: PredictionHead[] = ['action'];
      if (!noActions && model.weights.statePredictor) heads.push('state');
      if (!noActions && model.weights.rewardPredictor) heads.push('reward');
      const res = model.run(inputs, { heads, cache: opts.cache ?? false });
      const out: Record<string, RawTensor> = { transformer_out: asRaw(res.transformerOut) };
      if (res.actionPreds) out.action_preds = asRaw(res.actionPreds);
      if (res.statePreds) out.state_preds = asRaw(res.statePreds);
      if (res.rewardPreds) out.reward_preds = asRaw(res.rewardPreds);
      for (const name of res.cache?.names ?? []) out[`cache.${name}`] = asRaw(res.cache!.get(name));
      writeOutputFile(opts.output, writeSafetensors(out, { model: opts.model, weights }));
      const [B, T] = inputs.states.shape;
      process.stdout.write(
        `wrote ${opts.output}: ${Object.keys(out).length} tensors for ${B} window(s) of ${T} timestep(s)\n`,
      );
      checkFiniteOutputs(out, opts.output);
    });
}
