/** The one reporter registry: `--reporter` names (run and merge) → how to make each. */
import { ConsoleReporter } from './console.ts';
import { GithubReporter } from './github.ts';
import { HtmlReporter } from './html/index.ts';
import { JsonReporter } from './json.ts';
import { JUnitReporter } from './junit.ts';
import type { Reporter } from './reporter.ts';

export interface ReporterOptions {
  outDir: string;
  verbose?: boolean;
  color?: boolean;
  /** Console: evidence of passing checks too. */
  allEvidence?: boolean;
}

export const REPORTERS = {
  console: (o: ReporterOptions): Reporter => new ConsoleReporter(undefined, o.verbose, o.color, o.allEvidence),
  junit: (o: ReporterOptions): Reporter => new JUnitReporter(o.outDir),
  json: (o: ReporterOptions): Reporter => new JsonReporter(o.outDir),
  html: (o: ReporterOptions): Reporter => new HtmlReporter(o.outDir),
  github: (): Reporter => new GithubReporter(),
} as const;

export type ReporterName = keyof typeof REPORTERS;
export const REPORTER_NAMES = Object.keys(REPORTERS) as ReporterName[];
export const DEFAULT_REPORTERS: ReporterName[] = ['console', 'junit', 'json', 'html'];

export function isReporterName(n: string): n is ReporterName {
  return Object.hasOwn(REPORTERS, n);
}

export function makeReporters(names: ReporterName[], o: ReporterOptions): Reporter[] {
  return [...new Set(names)].map((n) => REPORTERS[n](o));
}
