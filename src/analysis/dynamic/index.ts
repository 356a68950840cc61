/** Dynamic analyses: pure functions of one cached forward pass (`analysisRun`) and their options. */
export * from './run.ts';
export * from '../../model/tokens.ts';
export * from './logitDirection.ts';
export * from './attention.ts';
export * from './logitLens.ts';
export * from './decomposition.ts';
export * from './residNorms.ts';
export * from './observation.ts';
export * from './cacheBrowser.ts';
export * from './neuronReads.ts';
export * from './neuronActivation.ts';
export * from './projection.ts';
export * from './gatedMlp.ts';
