import { defineConfig } from 'vitest/config';

/** Two projects: `unit` (fast, no ../shared needed) and `parity` (against ../shared/golden). */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      { test: { name: 'parity', include: ['test/parity/**/*.test.ts'], testTimeout: 300_000 } },
    ],
  },
});
