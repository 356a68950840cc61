/**
 * `dtlens analyze <static analysis>` options on a tiny model: `--search` filters the circuit and
 * congruence strips, `--vocab head-outputs|neurons` reads the SVD directions in earlier heads' outputs
 * and in a layer's neurons.
 */
import { describe, expect, it } from 'vitest';
import { headSvd, svdReadout } from '../../../src/analysis/static/svd.ts';
import { neuronVocabulary } from '../../../src/analysis/static/vocabularies.ts';
import { type StaticAnalyzeOptions, analyseStatic } from '../../../src/node/cli/commands/analyzeStatic.ts';
import { randomModel, tinyArch } from '../../support/randomModel.ts';

const model = randomModel(tinyArch({ obsShape: [7, 7, 20], nActions: 7 }), { variant: 'processed' });
const defaults: StaticAnalyzeOptions = {
  threshold: '0.15',
  top: '10',
  search: '',
  vocab: 'state',
  circuit: 'OV',
  side: 'out',
  k: '3',
  reader: 'predictor',
  pc: '0',
  directionsCount: '2',
  metric: 'negLogStd',
};

describe('dtlens analyze (static) options', () => {
  it('--search keeps the strip points whose labels contain the text', () => {
    const all = analyseStatic('ov-circuit', model, { ...defaults, figure: 'strip' }).figure.table.rows;
    const some = analyseStatic('ov-circuit', model, { ...defaults, figure: 'strip', search: 'ball' }).figure
      .table.rows;
    expect(some).toEqual(all.filter((r) => String(r[1]).includes('ball')));
    expect(some.length).toBeGreaterThan(0);
    const run = (search: string) =>
      analyseStatic('congruence', model, { ...defaults, vocab: 'action', search }).figure.table.rows;
    const cong = run('left');
    // the action embeddings · the action predictor: left as the writer (7 readers) or the reader (6 more)
    expect(cong).toHaveLength(13);
    expect(cong).toEqual(run('').filter((r) => r[1] === 'left' || r[2] === 'left'));
  });

  it('svd --figure readout --vocab neurons --layer 1 reads the directions in that layer’s W_in', () => {
    const { result } = analyseStatic('svd', model, {
      ...defaults,
      figure: 'readout',
      vocab: 'neurons',
      layer: '1',
      k: '2',
    });
    const expected = svdReadout(model, headSvd(model, 'OV'), 'out', neuronVocabulary(model, 1, 'in'), 2);
    const got = (result as { readout: typeof expected }).readout;
    expect(got.labels).toEqual(expected.labels);
    expect(Array.from(got.values.data)).toEqual(Array.from(expected.values.data));
    const heads = analyseStatic('svd', model, {
      ...defaults,
      figure: 'readout',
      vocab: 'head-outputs',
      k: '1',
    });
    expect((heads.result as { readout: typeof expected }).readout.labels).toEqual(
      headSvd(model, 'OV').heads.map((h) => `${h}D0`),
    );
  });
});
