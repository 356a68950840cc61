/**
 * The causal-scrubbing panel (job): a shipped hypothesis (`docs/hypotheses/`) or one pasted as JSON,
 * scored over the windows the model sees while playing episodes of the session's env at the play
 * area's initial RTG (`labelledWindowsFromRollouts`) or over the session's dataset
 * (`labelledWindowsFromDataset`), then `causalScrub` or `treeifiedScrub`.
 */
import memoryGatedMlp from '../../../docs/hypotheses/MemoryGatedMLP.json' with { type: 'json' };
import memoryS7 from '../../../docs/hypotheses/MemoryS7.json' with { type: 'json' };
import { type ScrubResult, causalScrub, parseHypothesis } from '../../analysis/causal/scrubbing.ts';
import { treeifiedScrub } from '../../analysis/causal/treeScrubbing.ts';
import { labelledWindowsFromDataset, labelledWindowsFromRollouts } from '../../analysis/causal/windows.ts';
import { requireDataset } from './dataset.ts';
import { DIRECTION_PARAMS, direction } from './dynamic.ts';
import type { JobPanel } from './types.ts';

/** The hypotheses shipped in `docs/hypotheses/`, by name. */
export const SHIPPED_HYPOTHESES: Readonly<Record<string, unknown>> = {
  MemoryS7: memoryS7,
  MemoryGatedMLP: memoryGatedMlp,
};

export const causalScrubbingPanel: JobPanel = {
  id: 'causal-scrubbing',
  title: 'Causal scrubbing',
  group: 'causal',
  scope: 'job',
  help:
    'Causal scrubbing (Chan et al.): a hypothesis names nodes (path-patching syntax: L0H1, mlps, embed:S, …) ' +
    'and the window feature each depends on (instruction, layout, step, lastAction, rtg, seed; nothing; ' +
    'everything); each node’s activation is resampled from another window agreeing on that feature. Over ' +
    'the windows of N episodes of this env at the play area’s initial RTG, or of the session’s dataset ' +
    '(its episodes replayed for the features): the share of the loss (and of ' +
    'the logit difference) recovered by the hypothesis against full scrambling, and with each named node ' +
    'scrambled alone. Pick a shipped hypothesis (docs/hypotheses/) or paste one as JSON. Single pass: one ' +
    'resampled activation per node; treeified: each path of the hypothesis tree resampled separately, ' +
    'inputs of resampled nodes scrubbed too (about 100 partial forwards per window: use few episodes). ' +
    'Uses the active weights variant.',
  params: {
    hypothesis: {
      kind: 'choice',
      default: 'MemoryS7',
      choices: [...Object.keys(SHIPPED_HYPOTHESES), 'custom'],
    },
    json: {
      kind: 'text',
      default: '',
      maxLength: 8000,
      label: 'custom hypothesis (JSON)',
      shownWhen: { hypothesis: ['custom'] },
    },
    method: { kind: 'choice', default: 'single-pass', choices: ['single-pass', 'treeified'] },
    windows: { kind: 'choice', default: 'rollouts', choices: ['rollouts', 'session dataset'] },
    episodes: { kind: 'int', default: 20, min: 1, max: 500, shownWhen: { windows: ['rollouts'] } },
    seed: {
      kind: 'int',
      default: 0,
      min: 0,
      max: 2 ** 31 - 1,
      label: 'first episode seed',
      shownWhen: { windows: ['rollouts'] },
    },
    resampleSeed: { kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, label: 'resampling seed' },
    ...DIRECTION_PARAMS,
  },
  async run(ctx, p, control): Promise<ScrubResult> {
    const hypothesis = parseHypothesis(
      p.hypothesis === 'custom' ? (p.json as string) : JSON.stringify(SHIPPED_HYPOTHESES[p.hypothesis]),
    );
    const windows =
      p.windows === 'session dataset'
        ? labelledWindowsFromDataset(requireDataset(ctx))
        : labelledWindowsFromRollouts(ctx.model, {
            env: ctx.episode.env,
            seeds: Array.from({ length: p.episodes as number }, (_, i) => (p.seed as number) + i),
            targetRtg: ctx.episode.initialRtg,
            maxEpisodeSteps: 100,
          });
    return (p.method === 'treeified' ? treeifiedScrub : causalScrub)(ctx.model, windows, hypothesis, {
      ...control,
      seed: p.resampleSeed as number,
      direction: direction(p),
    });
  },
};
