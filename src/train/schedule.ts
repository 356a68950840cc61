/**
 * DTI's learning-rate schedules (`get_scheduler`): `ConstantWithWarmUp` (linear warm-up to lr, then
 * constant) and `CosineAnnealingWarmup` (linear warm-up, then cosine annealing from lr to lrEnd with
 * `numCycles` hard restarts over the remaining steps).
 */
export type ScheduleName = 'ConstantWithWarmUp' | 'CosineAnnealingWarmup';
export const SCHEDULES: readonly ScheduleName[] = ['ConstantWithWarmUp', 'CosineAnnealingWarmup'];

export interface ScheduleOptions {
  name: ScheduleName;
  lr: number;
  lrEnd: number;
  warmUpSteps: number;
  totalSteps: number;
  numCycles: number;
}

/** Learning rate for the update numbered `step` (0-based). */
export function learningRate(o: ScheduleOptions, step: number): number {
  if (step < o.warmUpSteps) return (o.lr * (step + 1)) / o.warmUpSteps;
  if (o.name === 'ConstantWithWarmUp') return o.lr;
  const span = Math.max(1, o.totalSteps - o.warmUpSteps);
  const progress = (step - o.warmUpSteps) / span;
  if (progress >= 1) return o.lrEnd;
  const cycle = (progress * o.numCycles) % 1;
  return o.lrEnd + 0.5 * (o.lr - o.lrEnd) * (1 + Math.cos(Math.PI * cycle));
}
