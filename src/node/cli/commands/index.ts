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
import { registerStatic } from './static.ts';
import { registerTrain } from './train.ts';
// issue 9: the app's window and the HTML report
import { registerReport } from './report.ts';
import { registerWindow } from './window.ts';
// issue 12: causal analysis
import { registerCorrupt } from './corrupt.ts';
import { registerPatch } from './patch.ts';
import { registerAblate } from './ablate.ts';
// issue 13: scans and window datasets
import { registerDataset } from './dataset.ts';
import { registerPolicyField } from './policyField.ts';
import { registerRankAttention } from './rankAttention.ts';
import { registerRtgScan } from './rtgScan.ts';
import { registerSteer } from './steer.ts';
// causal analysis II (issue 14)
import { registerAttributionPatch } from './attributionPatch.ts';
import { registerPathPatch } from './pathPatch.ts';
import { registerCircuit } from './circuit.ts';
import { registerRollouts } from './rollouts.ts';
import { registerScrub } from './scrub.ts';
// issue 16: features and circuits
import { registerAcrossTraining } from './acrossTraining.ts';
import { registerProbe } from './probe.ts';
import { registerSae } from './sae.ts';
import { registerTwoRtgs } from './twoRtgs.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerInfo,
  registerConvert,
  registerForward,
  registerAnalyze,
  registerStatic,
  registerEnvReplay,
  registerEnvRender,
  registerCollect,
  registerTrain,
  registerEvaluate,
  // issue 9
  registerWindow,
  registerReport,
  // issue 12
  registerCorrupt,
  registerPatch,
  registerAblate,
  // issue 13
  registerRtgScan,
  registerSteer,
  registerDataset,
  registerRankAttention,
  registerPolicyField,
  // causal analysis II (issue 14)
  registerPathPatch,
  registerRollouts,
  registerAttributionPatch,
  registerScrub,
  // issue 16
  registerProbe,
  registerSae,
  registerAcrossTraining,
  registerTwoRtgs,
  registerCircuit,
];
