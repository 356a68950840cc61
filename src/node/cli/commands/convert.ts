/** `dtlens convert IN OUT.safetensors`: any supported checkpoint to the dtlens native format. */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DtlensError } from '../../../errors.ts';
import { loadCheckpoint, saveNativeCheckpoint } from '../../../io/checkpoint.ts';
import { readModelFile } from '../../modelFile.ts';
import { countOf } from '../../../text.ts';

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description(
      'Convert a checkpoint (DTI .pt, legacy DTI .pt or dtlens .safetensors) to the dtlens native format',
    )
    .argument('<in>', 'checkpoint to read')
    .argument('<out>', 'output file, must end in .safetensors')
    .option('-f, --force', 'overwrite OUT if it exists')
    .addHelpText(
      'after',
      '\nThe output is one safetensors file: the weights under their state-dict names, and the model, env and\n' +
        'training configs plus provenance (what was inferred for legacy files) in its metadata.',
    )
    .action((input: string, output: string, opts: { force?: boolean }) => {
      if (!output.endsWith('.safetensors'))
        throw new DtlensError('BAD_INPUT', `output ${output} must end in .safetensors`);
      if (resolve(input) === resolve(output))
        throw new DtlensError('BAD_INPUT', 'input and output are the same file');
      if (existsSync(output) && !opts.force)
        throw new DtlensError('BAD_INPUT', `${output} exists; pass --force to overwrite it`);
      const ckpt = readModelFile(input);
      const bytes = saveNativeCheckpoint(ckpt);
      loadCheckpoint(bytes); // the written file must load back
      writeFileSync(output, bytes);
      const m = ckpt.model;
      process.stdout.write(
        `${input} (${ckpt.format}) -> ${output}: ${ckpt.weights.size} tensors, ${bytes.length} bytes; ` +
          `${countOf(m.nLayers, 'layer')} x ${countOf(m.nHeads, 'head')}, d_model ${m.dModel}, env ${ckpt.env.envId}\n`,
      );
    });
}
