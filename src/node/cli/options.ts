/** Option parsers shared by CLI commands: each throws a BAD_INPUT DtlensError naming the option. */
import { check } from '../../errors.ts';
import type { FusedCore } from '../../model/transformer.ts';
import type { Gemm } from '../../tensor/gemm.ts';
import { GEMM_BACKENDS, type GemmBackend, nodeFusedCore, nodeGemm } from '../gemm.ts';

/** A non-negative integer option value. */
export function parseCount(value: string, name: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  check(Number.isSafeInteger(n), 'BAD_INPUT', `${name} must be a non-negative integer, got '${value}'`);
  return n;
}

/** Comma-separated non-negative integers, e.g. "2,2,1". */
export function parseCountList(value: string, name: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  check(parts.length > 0 && parts[0] !== '', 'BAD_INPUT', `${name} needs at least one value`);
  return parts.map((p) => parseCount(p, `each value of ${name}`));
}

/** One of a fixed set of choices. */
export function parseChoice<T extends string>(value: string, choices: readonly T[], name: string): T {
  check(
    (choices as readonly string[]).includes(value),
    'BAD_INPUT',
    `${name} must be one of ${choices.join(', ')}, got '${value}'`,
  );
  return value as T;
}

/** A number option (finite). */
export function parseNumber(value: string, name: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  check(Number.isFinite(n), 'BAD_INPUT', `${name} must be a number, got '${value}'`);
  return n;
}

/** A number in [0, 1]. */
export function parseFraction(value: string, name: string): number {
  const n = parseNumber(value, name);
  check(n >= 0 && n <= 1, 'BAD_INPUT', `${name} must be in [0, 1], got '${value}'`);
  return n;
}

/** Comma-separated numbers, e.g. "0,0.5,1". */
export function parseNumberList(value: string, name: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  check(parts.length > 0 && parts[0] !== '', 'BAD_INPUT', `${name} needs at least one value`);
  return parts.map((p) => parseNumber(p, `each value of ${name}`));
}

/** Commander arguments of the shared `--backend` option (matrix-multiply backend). */
export const BACKEND_OPTION = [
  '--backend <name>',
  `matrix-multiply backend: ${GEMM_BACKENDS.join(' | ')}`,
  'auto',
] as const;

/** The GEMM and the fused hook-free core (if any) for a `--backend` value, as `createModel` takes them. */
export function backendFromOption(value: string): { gemm: Gemm; fusedCore?: FusedCore } {
  const backend = parseChoice<GemmBackend>(value, GEMM_BACKENDS, '--backend');
  return { gemm: nodeGemm(backend), fusedCore: nodeFusedCore(backend) };
}
