/** `results.json`: every check with its evidence, written atomically. */
import { join } from 'node:path';
import type { RunResult } from '../model/results.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { Reporter } from './reporter.ts';

export class JsonReporter implements Reporter {
  readonly name = 'json';
  constructor(private readonly outDir: string) {}

  async onEnd(result: RunResult): Promise<void> {
    await writeFileAtomic(join(this.outDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  }
}
