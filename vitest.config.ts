import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lab tests create namespaces and child processes: forks isolate them; 2 cores here.
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Fixture scenarios (hang, throw, flake on purpose) for runner tests.
    env: { NETCONFORM_EXTRA_SUITES: fileURLToPath(new URL('./test/fixtures/suites', import.meta.url)) },
  },
});
