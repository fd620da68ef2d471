import { defineConfig } from 'vitest/config';
import { BROWSER_SUITES, isMissing } from './test/support/prerequisites.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites whose prerequisite is missing are left out, and the left-out reporter names them at the end.
    exclude: ['test/faults/**', 'node_modules/**', ...(isMissing('chromium') ? [BROWSER_SUITES] : [])],
    reporters: ['default', './test/support/left-out-reporter.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only contend. Files that open databases share one per file.
    maxWorkers: 2,
  },
});
