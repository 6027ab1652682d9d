/**
 * Prints why tests were skipped (the "(skipped: …)" reasons from test/helpers/requires.ts,
 * one line per reason with its count), then the plain closing line CI reads:
 * `N passed, N failed, N skipped`. (vitest's own summary is formatted for people, not for
 * the CI contract, and does not say why.)
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const reasons = new Map<string, number>();
    for (const mod of testModules) {
      // A file that failed to load has no tests but is a failure.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') failed++;
        else {
          skipped++;
          const note = result.state === 'skipped' ? result.note : undefined;
          const why = note ?? /\(skipped: (.*?)\)(?: >|$)/.exec(test.fullName)?.[1] ?? 'no reason given (see the test)';
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
      }
    }
    failed += unhandledErrors.length;
    for (const [why, n] of [...reasons].sort((a, b) => b[1] - a[1])) process.stdout.write(`skipped ${n}: ${why}\n`);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
