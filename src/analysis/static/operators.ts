/**
 * Every writer and reader of the residual stream as an operator with its place in the forward pass:
 * writers are the embeddings (state, action, RTG, time, position), each head's OV and each MLP's
 * W_out; readers are each head's Q, K and V inputs, each MLP's W_in (and W_gate), and the action
 * predictor. `stage` orders them: a writer reaches a reader iff writer.stage < reader.stage.
 */
import { matFrom, transpose } from './linalg.ts';
import type { Operator } from './grams.ts';
import { COMPOSITION_TYPES, headReader, headWriter } from './composition.ts';
import { type WeightsModel, eachHead } from './model.ts';
import { VOCABULARY_NAMES, embeddingVocabulary } from './vocabularies.ts';

export interface PlacedOperator {
  label: string;
  /** embedding | head | mlp | predictor */
  kind: 'embedding' | 'head' | 'mlp' | 'predictor';
  /** Layer (-1 for embeddings, nLayers for the predictor) */
  layer: number;
  /** Forward-pass order: embeddings -1, attention of layer l 2l, MLP of layer l 2l+1, predictor 2L */
  stage: number;
  op: Operator;
}

export function residualWriters(m: WeightsModel): PlacedOperator[] {
  const { dModel: d, dMlp } = m.arch;
  const out: PlacedOperator[] = VOCABULARY_NAMES.map((name) => {
    const v = embeddingVocabulary(m, name);
    return {
      label: `${name} embedding`,
      kind: 'embedding' as const,
      layer: -1,
      stage: -1,
      op: { left: null, right: matFrom(v.vectors.data, v.vectors.shape[0], d) },
    };
  });
  for (let l = 0; l < m.arch.nLayers; l++) {
    for (const { h, label } of eachHead(m.arch).filter((x) => x.l === l))
      out.push({ label: `${label} OV`, kind: 'head', layer: l, stage: 2 * l, op: headWriter(m, l, h) });
    out.push({
      label: `L${l} MLP W_out`,
      kind: 'mlp',
      layer: l,
      stage: 2 * l + 1,
      op: { left: null, right: matFrom(m.weights.blocks[l].mlp.W_out.data, dMlp, d) },
    });
  }
  return out;
}

export function residualReaders(m: WeightsModel): PlacedOperator[] {
  const { dModel: d, dMlp, nLayers: L } = m.arch;
  const out: PlacedOperator[] = [];
  for (let l = 0; l < L; l++) {
    for (const { h, label } of eachHead(m.arch).filter((x) => x.l === l))
      for (const t of COMPOSITION_TYPES)
        out.push({
          label: `${label} ${t}`,
          kind: 'head',
          layer: l,
          stage: 2 * l,
          op: headReader(m, l, h, t),
        });
    const mlp = m.weights.blocks[l].mlp;
    out.push({
      label: `L${l} MLP W_in`,
      kind: 'mlp',
      layer: l,
      stage: 2 * l + 1,
      op: { left: matFrom(mlp.W_in.data, d, dMlp), right: null },
    });
    if (mlp.W_gate)
      out.push({
        label: `L${l} MLP W_gate`,
        kind: 'mlp',
        layer: l,
        stage: 2 * l + 1,
        op: { left: matFrom(mlp.W_gate.data, d, dMlp), right: null },
      });
  }
  const W_U = m.weights.actionPredictor.W;
  out.push({
    label: 'action predictor',
    kind: 'predictor',
    layer: L,
    stage: 2 * L,
    op: { left: transpose(matFrom(W_U.data, W_U.shape[0], d)), right: null },
  });
  return out;
}
