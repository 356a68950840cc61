/** Scan grids: `linspace(min, max, n)` over a validated range (DTI: torch.linspace, endpoints included). */
import { check } from '../../errors.ts';

/** Largest scan DTI-style grid dtlens accepts (bounds memory: every value is one batch row). */
export const MAX_SCAN_POINTS = 65536;

/** `n` evenly spaced values from `min` to `max` inclusive; BAD_INPUT for an empty or inverted range or n < 2. */
export function linspace(min: number, max: number, n: number, what = 'range'): number[] {
  check(
    Number.isFinite(min) && Number.isFinite(max),
    'BAD_INPUT',
    `the ${what} must be finite, got ${min}..${max}`,
  );
  check(min < max, 'BAD_INPUT', `the ${what} ${min}..${max} is empty or inverted (need min < max)`);
  check(
    Number.isInteger(n) && n >= 2 && n <= MAX_SCAN_POINTS,
    'BAD_INPUT',
    `the number of scan values must be an integer in 2..${MAX_SCAN_POINTS}, got ${n}`,
  );
  const step = (max - min) / (n - 1);
  // torch.linspace: from the start for the first half, from the end for the second.
  return Array.from({ length: n }, (_, i) => (i < n / 2 ? min + i * step : max - (n - 1 - i) * step));
}
