/** Prints the verdicts of a closed-loop feature experiment (success rates with Wilson intervals). */
import type { Interval } from '../../analysis/causal/stats.ts';
import type { FeatureRolloutResult } from '../../analysis/features/featureRollouts.ts';

const fmt = (i: Interval) => `${i.estimate.toFixed(2)} [${i.low.toFixed(2)}, ${i.high.toFixed(2)}]`;
const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

export function printVerdicts(r: FeatureRolloutResult): void {
  process.stdout.write(
    `closed loop, ${r.episodes} seeds at RTG ${r.targetRtg}: success without intervention ${fmt(r.conditions[0].successRate)}\n`,
  );
  for (const v of r.verdicts)
    process.stdout.write(
      `  ${v.condition.padEnd(14)} ${fmt(v.successRate)} ${sign(v.delta)}${v.control ? ` (${v.control} ${sign(v.controlDelta!)})` : ''}: behaviour ${v.follows ? 'follows' : 'does not follow'}\n`,
    );
}
