import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (fast, no ../shared needed) and `parity` (against ../shared/golden). In both a
 * stray `.only` fails the run instead of silently skipping the rest of the suite (`allowOnly: false`;
 * projects do not inherit the root's test options).
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000, allowOnly: false } },
      {
        test: {
          name: 'parity',
          include: ['test/parity/**/*.test.ts'],
          testTimeout: 300_000,
          allowOnly: false,
        },
      },
    ],
  },
});
