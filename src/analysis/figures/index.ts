/** Figures: analysis results → Observable Plot specs, and their SVG / CSV / JSON exports. */
export * from './figure.ts';
export * from './charts.ts';
export * from './attentionFigures.ts';
export * from './logitLensFigures.ts';
export * from './observationFigures.ts';
export * from './cacheFigures.ts';
export * from './strip.ts';
export * from './gridmap.ts';
export * from './compositionFigures.ts';
export * from './circuitFigures.ts';
export * from './circuitGraphFigures.ts';
export * from './embeddingFigures.ts';
export * from './staticFigures.ts';
export * from './neuronFigures.ts';
