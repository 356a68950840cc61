/** Every CLI command, in the order `dtlens --help` lists them. Each entry adds one subcommand. */
import type { Command } from 'commander';
import { registerAnalyze } from './analyze.ts';
import { registerCollect } from './collect.ts';
import { registerConvert } from './convert.ts';
import { registerEnvRender } from './envRender.ts';
import { registerEnvReplay } from './envReplay.ts';
import { registerEvaluate } from './evaluate.ts';
import { registerForward } from './forward.ts';
import { registerInfo } from './info.ts';
import { registerProbe } from './probe.ts';
import { registerSae } from './sae.ts';
import { registerAcrossTraining } from './acrossTraining.ts';
import { registerRtgScan } from './rtgScan.ts';
import { registerSteer } from './steer.ts';
import { registerTrain } from './train.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerInfo,
  registerConvert,
  registerForward,
  registerAnalyze,
  registerEnvReplay,
  registerEnvRender,
  registerCollect,
  registerTrain,
  registerEvaluate,
  registerRtgScan,
  registerSteer,
  registerProbe,
  registerSae,
  registerAcrossTraining,
];
