export { SeedSequence, intToUint32Words } from './seedSequence.ts';
export { PCG64 } from './pcg64.ts';
export { Generator, npRandom } from './generator.ts';
