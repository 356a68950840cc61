/** `dtlens info MODEL`: configs, parameter count, hook names and environment of a checkpoint. */
import type { Command } from 'commander';
import { createModel } from '../../../model/load.ts';
import { TsGemm } from '../../../tensor/gemmTs.ts';
import { readModelFile } from '../../modelFile.ts';
import { parameterCount } from '../../../model/weights.ts';
import { countOf } from '../../../text.ts';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('Show a model: configs, parameter count, hook names, environment')
    .argument('<model>', 'checkpoint (.pt from DTI, or dtlens .safetensors)')
    .option('--json', 'print JSON instead of text')
    .action((path: string, opts: { json?: boolean }) => {
      const ckpt = readModelFile(path);
      const model = createModel(ckpt, { gemm: new TsGemm() });
      const info = {
        file: path,
        format: ckpt.format,
        model: ckpt.model,
        env: ckpt.env,
        nActions: ckpt.nActions,
        obsShape: ckpt.obsShape,
        maxLen: model.maxLen,
        parameters: parameterCount(ckpt.weights),
        hookNames: model.hookNames,
        provenance: ckpt.provenance,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const m = ckpt.model;
      const lines = [
        `${path} (${ckpt.format})`,
        `  environment   ${ckpt.env.envId}  obs ${ckpt.obsShape.join('x')}${ckpt.env.oneHotObs ? ' one-hot' : ''}  ${ckpt.nActions} actions  max_steps ${ckpt.env.maxSteps}`,
        `  transformer   ${countOf(m.nLayers, 'layer')} x ${countOf(m.nHeads, 'head')}, d_model ${m.dModel}, d_head ${m.dHead}, d_mlp ${m.dMlp}${m.gatedMlp ? ' (gated)' : ''}, ${m.activationFn}, norm ${m.layerNorm ?? 'none'}`,
        `  context       n_ctx ${m.nCtx} tokens = ${countOf(model.maxLen, 'timestep')}; time embedding ${m.timeEmbeddingType}`,
        `  parameters    ${info.parameters.toLocaleString('en-US')}`,
        ...Object.entries(ckpt.provenance).map(([k, v]) => `  ${k.padEnd(13)} ${v}`),
        `  hook points (${model.hookNames.length}):`,
        ...model.hookNames.map((h) => `    ${h}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
