/** Option parsers shared by CLI commands: each throws a BAD_INPUT DtlensError naming the option. */
import { check } from '../../errors.ts';

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
