/** The neuron panels' worker halves on tiny models: they compute the library's results at the chosen position and name bad neurons. */
import { describe, expect, it } from 'vitest';
import { gatedMlpView } from '../../../src/analysis/dynamic/gatedMlp.ts';
import { neuronActivation } from '../../../src/analysis/dynamic/neuronActivation.ts';
import { projectionAnalysis } from '../../../src/analysis/dynamic/projection.ts';
import { analysisRun } from '../../../src/analysis/dynamic/run.ts';
import { selectWindow } from '../../../src/model/inputs.ts';
import { panelById } from '../../../src/session/panels/index.ts';
import type { WindowPanel } from '../../../src/session/panels/types.ts';
import { normalizeParams } from '../../../src/session/params.ts';
import { expectDtlensError } from '../../support/errors.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';
import { windowInputs } from '../analysis/support.ts';

const arch = tinyArch({ gatedMlp: true });
const model = randomModel(arch, { variant: 'processed' });
const run = analysisRun(model, selectWindow(windowInputs(arch, 2), 1));
const panel = (id: string) => panelById(id) as WindowPanel;

describe('neuron panels', () => {
  it('neuron, projection and gated-mlp compute the library results at the chosen position', () => {
    const n = panel('neuron');
    expect(n.compute(run, normalizeParams(n.params, { neuron: 'L1N4' }), { position: 4 })).toEqual(
      neuronActivation(run, { neuron: { layer: 1, index: 4 }, position: 4 }),
    );
    const p = panel('projection');
    expect(
      p.compute(run, normalizeParams(p.params, { neurons: 'L0N1,L1N2', norm: 'component' }), { position: 7 }),
    ).toEqual(
      projectionAnalysis(run, {
        neurons: [
          { layer: 0, index: 1 },
          { layer: 1, index: 2 },
        ],
        norm: 'component',
        position: 7,
      }),
    );
    const g = panel('gated-mlp');
    expect(g.compute(run, normalizeParams(g.params, {}), { position: 7 })).toEqual(
      gatedMlpView(run, { position: 7 }),
    );
  });

  it('names a neuron outside the model', () => {
    const n = panel('neuron');
    expectDtlensError(
      () => n.compute(run, normalizeParams(n.params, { neuron: 'L0N99' }), { position: 7 }),
      'BAD_INPUT',
      /neuron 99 does not exist/,
    );
  });
});
