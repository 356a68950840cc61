/** Static analyses: pure functions of a model's weights (no forward pass). */
export * from './linalg.ts';
export * from './model.ts';
export * from './vocabularies.ts';
export * from './directions.ts';
export * from './circuits.ts';
export * from './grams.ts';
export * from './composition.ts';
export * from './svd.ts';
export * from './staticTensors.ts';
export * from './operators.ts';
export * from './metaComposition.ts';
export * from './mlpComposition.ts';
export * from './congruence.ts';
export * from './clustering.ts';
export * from './embeddings.ts';
export * from './parameters.ts';
export * from './requests.ts';
