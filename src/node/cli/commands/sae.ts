/**
 * `dtlens sae train|eval|steer`: sparse autoencoders (or transcoders, with --output-hook) on one hook
 * point's activations at one token kind over a `dtlens collect` dataset; metrics with the SAE spliced
 * in; feature dashboards and the latents most correlated with each environment label; one latent
 * added to, zeroed or clamped in closed loop over N seeds with controls.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import {
  type PositionKind,
  POSITION_KINDS,
  collectActivations,
  hookWidth,
} from '../../../analysis/features/activations.ts';
import { actionsTaken, buildProbeSet, DEFAULT_LABELS } from '../../../analysis/features/probeSet.ts';
import {
  type SaeKind,
  SAE_KINDS,
  initSae,
  rowMean,
  startTraining,
  trainSae,
} from '../../../analysis/features/sae.ts';
import {
  bestLatentPerClass,
  featureDashboard,
  latentActivations,
} from '../../../analysis/features/saeDashboard.ts';
import {
  type SaeFile,
  checkSaeFits,
  modelFingerprint,
  readSae,
  writeSae,
} from '../../../analysis/features/saeIo.ts';
import { saeStatistics, splicedBehaviour } from '../../../analysis/features/saeMetrics.ts';
import {
  LATENT_OPS,
  featureRollouts,
  saeLatentExperiment,
} from '../../../analysis/features/featureRollouts.ts';
import { check } from '../../../errors.ts';
import { createModel } from '../../../model/load.ts';
import { readDataset } from '../../../train/dataset.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { toJson } from '../analysisIo.ts';
import {
  BACKEND_OPTION,
  backendFromOption,
  parseChoice,
  parseCount,
  parseCountList,
  parseNumber,
  parseNumberList,
} from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';
import { withProgressBar } from '../progress.ts';
import { printVerdicts } from '../verdicts.ts';

interface Common {
  model: string;
  dataset: string;
  maxWindows?: string;
  seed: string;
  backend: string;
  quiet?: boolean;
}

interface TrainOptions extends Common {
  hook: string;
  outputHook?: string;
  position: string;
  kind: string;
  latents: string;
  k: string;
  l1: string;
  steps: string;
  batch: string;
  lr: string;
  resume?: string;
  output: string;
}

interface SteerOptions {
  model: string;
  sae: string;
  latent: string;
  op: string;
  values: string;
  episodes: string;
  rtg: string;
  seed: string;
  controls: boolean;
  backend: string;
  output: string;
}

interface EvalOptions extends Common {
  sae: string;
  features?: string;
  output: string;
}

/** Model, probe set (windows with env labels) and a progress bar factory shared by both subcommands. */
function setUp(o: Common) {
  const ckpt = readModelFile(o.model);
  const model = createModel(ckpt, backendFromOption(o.backend));
  const dataset = readDataset(readFileChecked(o.dataset, 'dataset'));
  const set = buildProbeSet(dataset, {
    maxLen: model.maxLen,
    fits: { model, envId: ckpt.env.envId },
    labels: [...DEFAULT_LABELS],
    maxWindows: o.maxWindows === undefined ? undefined : parseCount(o.maxWindows, '--max-windows'),
    seed: parseCount(o.seed, '--seed'),
  });
  const progress = (what: string) => {
    const bar = o.quiet ? null : new cliProgress.SingleBar({ format: `${what} |{bar}| {value}/{total}` });
    return {
      onProgress: (done: number, total: number) => {
        if (!bar) return;
        if (done <= total && bar.getTotal() !== total) bar.start(total, done);
        bar.update(done);
        if (done === total) bar.stop();
      },
    };
  };
  return { model, envId: ckpt.env.envId, set, progress };
}

export function registerSae(program: Command): void {
  const sae = program
    .command('sae')
    .description('Sparse autoencoders and transcoders: train, evaluate, feature dashboards');
  const common = (cmd: Command) =>
    cmd
      .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
      .requiredOption('--dataset <file>', "episodes from `dtlens collect` in the model's environment")
      .option('--max-windows <n>', 'keep at most this many windows (seeded random subset)')
      .option('--seed <n>', 'seed of the subset and the initialisation', '0')
      .option(...BACKEND_OPTION)
      .option('--quiet', 'no progress bar');
  common(
    sae
      .command('train')
      .description('Train an SAE (or a transcoder with --output-hook) on one hook point at one token kind')
      .requiredOption('--hook <name>', 'hook point read, e.g. blocks.0.hook_resid_post')
      .option('--output-hook <name>', 'transcoder: hook point predicted (e.g. blocks.0.hook_mlp_out)')
      .option('--position <kind>', 'token read in each window: S | R | A', 'S')
      .option('--kind <kind>', `${SAE_KINDS.join(' | ')}`, 'topk')
      .option('--latents <n>', 'dictionary size', '512')
      .option('--k <n>', 'active latents per row (topk)', '8')
      .option('--l1 <c>', 'L1 coefficient (relu)', '0.01')
      .option('--steps <n>', 'optimiser steps (more steps when resuming)', '2000')
      .option('--batch <n>', 'rows per step', '512')
      .option('--lr <lr>', 'AdamW learning rate', '0.001')
      .option('--resume <file>', 'continue training a saved SAE')
      .requiredOption('--output <file>', 'SAE safetensors (weights, moments, training record)'),
  ).action(async (o: TrainOptions) => {
    const { model, envId, set, progress } = setUp(o);
    const position = parseChoice<PositionKind>(o.position, POSITION_KINDS, '--position');
    const hooks = o.outputHook ? [o.hook, o.outputHook] : [o.hook];
    const tables = await collectActivations(model, set, hooks, position, progress('activations'));
    const [x, y] = tables.map((t) => t.data);
    let file: SaeFile;
    if (o.resume) {
      file = readSae(readFileChecked(o.resume, 'SAE file'));
      checkSaeFits(file, model.arch, envId, tables[0].width);
      check(
        file.site.hook === o.hook && file.site.position === position,
        'BAD_INPUT',
        `--resume: the SAE reads ${file.site.hook} at ${file.site.position}`,
      );
    } else {
      const kind = parseChoice<SaeKind>(o.kind, SAE_KINDS, '--kind');
      const dOut = tables[tables.length - 1].width;
      const mean = rowMean(y ?? x, dOut);
      const config = {
        kind,
        dIn: tables[0].width,
        dOut,
        latents: parseCount(o.latents, '--latents'),
        k: parseCount(o.k, '--k'),
        l1: parseNumber(o.l1, '--l1'),
      };
      file = {
        training: startTraining(initSae(config, parseCount(o.seed, '--seed'), mean)),
        site: {
          hook: o.hook,
          outputHook: o.outputHook,
          position,
          model: modelFingerprint(model.arch, envId),
        },
        record: {},
      };
    }
    const options = {
      steps: parseCount(o.steps, '--steps'),
      batchSize: parseCount(o.batch, '--batch'),
      lr: parseNumber(o.lr, '--lr'),
      seed: parseCount(o.seed, '--seed'),
    };
    const t0 = performance.now();
    await trainSae(model.gemm, file.training, x, y, options, progress('train'));
    const seconds = (performance.now() - t0) / 1000;
    const { firingRate: _, ...stats } = saeStatistics(model.gemm, file.training.sae, x, y);
    const behaviour = o.outputHook
      ? null
      : await splicedBehaviour(
          model,
          set,
          actionsTaken(set),
          file.training.sae,
          o.hook,
          position,
          progress('splice'),
        );
    file.record = {
      ...file.record,
      model: o.model,
      dataset: o.dataset,
      windows: set.n,
      options: { ...options, ...(file.record.options as object) },
      seconds: ((file.record.seconds as number) ?? 0) + seconds,
      statistics: stats,
      spliced: behaviour,
    };
    writeOutputFile(o.output, writeSae(file));
    process.stdout.write(
      `trained ${file.training.optimizer.step} steps on ${set.n} windows in ${seconds.toFixed(1)} s: explained variance ${stats.explainedVariance.toFixed(4)}, L0 ${stats.l0.toFixed(2)}, dead ${(100 * stats.deadFraction).toFixed(1)}%, dense ${(100 * stats.denseFraction).toFixed(1)}%` +
        (behaviour
          ? `; spliced action loss ${behaviour.splicedLoss.toFixed(4)} (clean ${behaviour.cleanLoss.toFixed(4)}, zero ${behaviour.zeroAblationLoss.toFixed(4)}, recovered ${(100 * behaviour.lossRecovered).toFixed(1)}%)`
          : '') +
        `\nwrote ${o.output}\n`,
    );
  });
  common(
    sae
      .command('eval')
      .description(
        'Metrics of a saved SAE, feature dashboards and the latents most correlated with each label',
      )
      .requiredOption('--sae <file>', 'SAE safetensors from dtlens sae train')
      .option(
        '--features <list>',
        'latents to draw dashboards for (default: the best latent per label class)',
      )
      .requiredOption('--output <file>', 'JSON result'),
  ).action(async (o: EvalOptions) => {
    const { model, envId, set, progress } = setUp(o);
    const file = readSae(readFileChecked(o.sae, 'SAE file'));
    const { hook, outputHook, position } = file.site;
    checkSaeFits(file, model.arch, envId, hookWidth(model, hook));
    const sae = file.training.sae;
    const hooks = outputHook ? [hook, outputHook] : [hook];
    const [x, y] = (await collectActivations(model, set, hooks, position, progress('activations'))).map(
      (t) => t.data,
    );
    const { firingRate: _, ...stats } = saeStatistics(model.gemm, sae, x, y);
    const behaviour = outputHook
      ? null
      : await splicedBehaviour(model, set, actionsTaken(set), sae, hook, position, progress('splice'));
    const z = latentActivations(model, sae, x);
    const best = bestLatentPerClass(z, sae.config.latents, set);
    const features =
      o.features === undefined
        ? [...new Set(best.map((b) => b.latent))]
        : parseCountList(o.features, '--features');
    const dashboards = features.map((f) => featureDashboard(model, sae, z, set, f));
    writeOutputFile(
      o.output,
      toJson({
        command: 'sae eval',
        sae: o.sae,
        site: file.site,
        statistics: stats,
        spliced: behaviour,
        bestLatents: best,
        dashboards,
      }),
    );
    process.stdout.write(
      `explained variance ${stats.explainedVariance.toFixed(4)}, L0 ${stats.l0.toFixed(2)}, dead ${(100 * stats.deadFraction).toFixed(1)}%\n`,
    );
    for (const b of best)
      process.stdout.write(`  ${b.label}=${b.class}: latent ${b.latent} (r = ${b.r.toFixed(3)})\n`);
    process.stdout.write(`wrote ${o.output}\n`);
  });
  sae
    .command('steer')
    .description('Add to, zero or clamp one SAE latent in closed loop over N seeds, with controls')
    .requiredOption('--model <file>', 'checkpoint (.pt or dtlens .safetensors)')
    .requiredOption('--sae <file>', 'SAE safetensors from dtlens sae train')
    .requiredOption('--latent <i>', 'latent intervened on')
    .option('--op <op>', `${LATENT_OPS.join(' | ')}`, 'add')
    .option('--values <list>', 'values added (add) or clamped to (clamp); zero ignores them', '2,5')
    .option('--episodes <n>', 'seeds played per condition', '100')
    .option('--rtg <r>', 'target RTG', '0.9')
    .option('--seed <n>', 'env seed of the first episode (and of the controls)', '0')
    .option('--no-controls', 'no random-vector / sign-flipped / random-latent controls')
    .option(...BACKEND_OPTION)
    .requiredOption('--output <file>', 'JSON result')
    .addHelpText(
      'after',
      '\nExample:\n  dtlens sae steer --model models/MiniGrid-MemoryS7FixedStart-v0.safetensors --sae sae.safetensors --latent 12 --op clamp --values 0,4 --episodes 200 --output steer.json',
    )
    .action(async (o: SteerOptions) => {
      const ckpt = readModelFile(o.model);
      const model = createModel(ckpt, backendFromOption(o.backend));
      const file = readSae(readFileChecked(o.sae, 'SAE file'));
      const { hook, outputHook, position } = file.site;
      checkSaeFits(file, model.arch, ckpt.env.envId, hookWidth(model, hook));
      check(
        outputHook === undefined,
        'UNSUPPORTED',
        "steering edits an SAE's latents at the hook point it reconstructs; a transcoder predicts another hook point, so it is not spliced in",
      );
      const sae = file.training.sae;
      const latent = parseCount(o.latent, '--latent');
      const op = parseChoice(o.op, LATENT_OPS, '--op');
      const values = op === 'zero' ? [] : parseNumberList(o.values, '--values');
      const seed = parseCount(o.seed, '--seed');
      const options = { controls: o.controls, seed };
      const experiment = saeLatentExperiment(
        model,
        sae,
        { hook, kind: position },
        latent,
        op,
        values,
        options,
      );
      const result = await withProgressBar('rollouts', (control) =>
        featureRollouts(model, experiment, {
          ...control,
          env: ckpt.env,
          episodes: parseCount(o.episodes, '--episodes'),
          seed,
          targetRtg: parseNumber(o.rtg, '--rtg'),
        }),
      );
      writeOutputFile(
        o.output,
        toJson({ command: 'sae steer', sae: o.sae, site: file.site, latent, op, ...result }),
      );
      printVerdicts(result);
      process.stdout.write(`wrote ${o.output}\n`);
    });
}
