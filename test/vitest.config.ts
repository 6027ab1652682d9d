import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Lives in test/ because the top level of the repository is fixed (harness/README.md "Layout").
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    // Lab tests create namespaces and child processes: forks isolate them; 2 cores here.
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    setupFiles: ['./test/helpers/setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Fixture scenarios (hang, throw, flake on purpose) for runner tests.
    env: { NETCONFORM_EXTRA_SUITES: fileURLToPath(new URL('./fixtures/suites', import.meta.url)) },
  },
});
