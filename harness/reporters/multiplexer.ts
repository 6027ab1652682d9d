import type { Reporter } from './reporter.ts';

type Hook = Exclude<keyof Reporter, 'name'>;

/** Fans each hook out to every reporter; a reporter that throws is reported on stderr and dropped from nothing else. */
export class ReporterMultiplexer {
  readonly failures: string[] = [];
  constructor(private readonly reporters: Reporter[]) {}

  async emit<H extends Hook>(hook: H, ...args: Parameters<NonNullable<Reporter[H]>>): Promise<void> {
    await this.emitWhere(() => true, hook, ...args);
  }

  /** The same, to the reporters `which` selects only; resolves with the names of those that threw. */
  async emitWhere<H extends Hook>(
    which: (r: Reporter) => boolean,
    hook: H,
    ...args: Parameters<NonNullable<Reporter[H]>>
  ): Promise<string[]> {
    const threw: string[] = [];
    for (const r of this.reporters) {
      if (!which(r)) continue;
      const fn = r[hook] as ((...a: unknown[]) => unknown) | undefined;
      if (!fn) continue;
      try {
        await fn.apply(r, args);
      } catch (err) {
        const line = `netconform: reporter "${r.name}" failed in ${hook}: ${(err as Error).message}`;
        this.failures.push(line);
        threw.push(r.name);
        process.stderr.write(`${line}\n`);
      }
    }
    return threw;
  }
}
