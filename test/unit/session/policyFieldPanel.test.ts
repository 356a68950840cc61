/**
 * The policy-field job panel on a tiny model in Empty-5x5: it plays the job's replayed env, never the
 * live one, and at the agent's own pose gives the model's actual prediction for the window.
 */
import { describe, expect, it } from 'vitest';
import type { PolicyFieldResult } from '../../../src/analysis/scans/policyField.ts';
import { DEFAULT_ENV_CONFIG } from '../../../src/config/config.ts';
import { makeDtiEnv } from '../../../src/env/index.ts';
import { panelById } from '../../../src/session/panels/index.ts';
import type { JobPanel } from '../../../src/session/panels/types.ts';
import { normalizeParams } from '../../../src/session/params.ts';
import { PlaySession } from '../../../src/session/playSession.ts';
import { replayEpisode } from '../../../src/session/replay.ts';
import { softmaxRowsInPlace } from '../../../src/tensor/ops.ts';
import { policyFieldFigure } from '../../../src/analysis/figures/policyFieldFigures.ts';
import { renderFigureSvg } from '../../../src/node/figures.ts';
import { expectClose } from '../../support/compare.ts';
import { windowJobContext } from '../../support/jobContext.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';

const ENV = { ...DEFAULT_ENV_CONFIG, envId: 'MiniGrid-Empty-5x5-v0', viewSize: 3, maxSteps: 12 };
const model = randomModel(tinyArch({ obsShape: [3, 3, 3], nActions: 7 }), { variant: 'processed' });
const seed = 4;
const actions = [1, 2];
const played = () => {
  const session = new PlaySession(model, makeDtiEnv(ENV), 0.8);
  replayEpisode(session, seed, actions);
  return session;
};

describe('policy-field panel', () => {
  it('runs on a replayed env and matches the model’s prediction at the agent’s pose', async () => {
    const live = played();
    const before = { pos: [...live.env.unwrapped.agentPos], dir: live.env.unwrapped.agentDir };
    let replays = 0;
    const inputs = live.window();
    const panel = panelById('policy-field') as JobPanel;
    const r = (await panel.run(
      {
        ...windowJobContext(model, inputs, 7, 'processed'),
        episode: {
          env: ENV,
          seed,
          actions,
          initialRtg: 0.8,
          replay: () => {
            replays++;
            return played().env;
          },
        },
      },
      normalizeParams(panel.params, { rtg2: '0' }),
      {},
    )) as PolicyFieldResult;
    expect(replays).toBe(1);
    expect({ pos: [...live.env.unwrapped.agentPos], dir: live.env.unwrapped.agentDir }).toEqual(before);
    expect(r.agent).toEqual({ x: before.pos[0], y: before.pos[1], dir: before.dir });
    const preds = model.run(inputs).actionPreds!;
    const [, Tp, A] = preds.shape;
    const own = preds.data.slice((Tp - 1) * A, Tp * A);
    softmaxRowsInPlace(own, A);
    expectClose(
      Array.from(r.probabilities.data.subarray(r.agentRow * A, (r.agentRow + 1) * A)),
      Array.from(own),
      1e-6,
    );
    expect(r.second!.rtg).toBe(0);
    expect(r.poses.length).toBe(9 * 4); // Empty-5x5: a 3 x 3 floor inside the walls
    // the figure: one arrow (table row) per pose, the difference view = second − first for the action
    const diff = policyFieldFigure(r, { view: 'difference', action: 2 });
    expect(diff.table.rows).toHaveLength(r.poses.length);
    expectClose(
      diff.table.rows.map((row) => row[3] as number),
      r.poses.map((_, i) => r.second!.probabilities.data[i * A + 2] - r.probabilities.data[i * A + 2]),
      1e-6,
      { metric: 'abs' },
    );
    expect(renderFigureSvg(policyFieldFigure(r))).toContain('policy field: p(');
  });
});
