/**
 * The update loop of `dtlens train`: runs a `Trainer` up to update `until` with a progress bar (or a
 * line every 100 updates with `quiet`), rollout evaluations every `evalEvery` updates and a training-state
 * checkpoint every `checkpointEvery` updates (both before the last update; the caller handles the end),
 * and a model of the checkpoint series every `seriesEvery` updates (including the last one).
 */
import cliProgress from 'cli-progress';
import type { Trainer } from '../../train/trainer.ts';

export interface EvaluationPoint {
  rtg: number;
  meanReturn: number;
  successRate: number;
}

export interface TrainLoopOptions {
  until: number;
  evalEvery: number;
  checkpointEvery: number;
  quiet: boolean;
  evaluate: () => EvaluationPoint[];
  saveState: () => void;
  /** Updates between models of the checkpoint series (0: no series). */
  seriesEvery?: number;
  saveSeries?: (step: number) => void;
}

export interface TrainLoopStats {
  /** Non-padded timesteps trained on. */
  timesteps: number;
  /** Time inside `trainStep` only (no evaluations or checkpoints). */
  updateSeconds: number;
  finalLoss: number;
  evaluations: Array<{ step: number; results: EvaluationPoint[] }>;
}

export function runTrainLoop(trainer: Trainer, o: TrainLoopOptions): TrainLoopStats {
  const bar = o.quiet
    ? null
    : new cliProgress.SingleBar({
        format: 'train |{bar}| {value}/{total} | loss {loss} | acc {acc} | lr {lr} | {tps} timesteps/s',
        hideCursor: true,
      });
  bar?.start(o.until, trainer.step, { loss: '-', acc: '-', lr: '-', tps: '-' });
  const log = (line: string) => process[bar ? 'stderr' : 'stdout'].write(`${bar ? '\n' : ''}${line}\n`);
  const stats: TrainLoopStats = { timesteps: 0, updateSeconds: 0, finalLoss: 0, evaluations: [] };
  while (trainer.step < o.until) {
    const t0 = performance.now();
    const s = trainer.trainStep();
    stats.updateSeconds += (performance.now() - t0) / 1000;
    stats.timesteps += s.timesteps;
    stats.finalLoss = s.loss;
    bar?.update(s.step, {
      loss: s.loss.toFixed(4),
      acc: s.accuracy.toFixed(3),
      lr: s.lr.toExponential(2),
      tps: (stats.timesteps / stats.updateSeconds).toFixed(0),
    });
    if (o.quiet && s.step % 100 === 0)
      log(`step ${s.step} loss ${s.loss.toFixed(4)} acc ${s.accuracy.toFixed(3)}`);
    const beforeEnd = s.step < o.until;
    if (o.evalEvery > 0 && s.step % o.evalEvery === 0 && beforeEnd) {
      const results = o.evaluate();
      stats.evaluations.push({ step: s.step, results });
      log(
        `eval @${s.step}: ${results.map((r) => `RTG ${r.rtg}: success ${(r.successRate * 100).toFixed(0)}%`).join(', ')}`,
      );
    }
    if (o.checkpointEvery > 0 && s.step % o.checkpointEvery === 0 && beforeEnd) o.saveState();
    if (o.seriesEvery && (s.step % o.seriesEvery === 0 || !beforeEnd)) o.saveSeries?.(s.step);
  }
  bar?.stop();
  return stats;
}
