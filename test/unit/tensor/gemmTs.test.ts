import { describeGemmBackend } from './gemmSuite.ts';
import { TsGemm } from '../../../src/tensor/gemmTs.ts';

// TsGemm accumulates in float64 in ascending k and rounds once: bit-exact against the naive loop.
describeGemmBackend('TsGemm', () => new TsGemm(), { exact: true });
