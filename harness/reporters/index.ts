/** The one reporter registry: `--reporter` names (run and merge) → how to make each. */
import { ConsoleReporter } from './console.ts';
import { GithubReporter } from './github.ts';
import { HtmlReporter } from './html/index.ts';
import { JsonReporter } from './json.ts';
import { JUnitReporter } from './junit.ts';
import type { JUnitFlavour } from '../model/junit-flavour.ts';
import type { Reporter } from './reporter.ts';

export interface ReporterOptions {
  outDir: string;
  verbose?: boolean;
  color?: boolean;
  /** Console: evidence of passing checks too. */
  allEvidence?: boolean;
  /** JUnit: `annotated` (file and line on each testcase) or `strict` (junit-10.xsd exactly). */
  junit?: JUnitFlavour;
  /** Set by makeReporters: the console reporter is in the run, so github prints annotations only. */
  withConsole?: boolean;
}

export const REPORTERS = {
  console: (o: ReporterOptions): Reporter => new ConsoleReporter(undefined, o.verbose, o.color, o.allEvidence),
  junit: (o: ReporterOptions): Reporter => new JUnitReporter(o.outDir, o.junit),
  json: (o: ReporterOptions): Reporter => new JsonReporter(o.outDir),
  html: (o: ReporterOptions): Reporter => new HtmlReporter(o.outDir),
  github: (o: ReporterOptions): Reporter => new GithubReporter(undefined, undefined, !o.withConsole),
} as const;

export type ReporterName = keyof typeof REPORTERS;
export const REPORTER_NAMES = Object.keys(REPORTERS) as ReporterName[];
export const DEFAULT_REPORTERS: ReporterName[] = ['console', 'junit', 'json', 'html'];

export function isReporterName(n: string): n is ReporterName {
  return Object.hasOwn(REPORTERS, n);
}

export function makeReporters(names: ReporterName[], o: ReporterOptions): Reporter[] {
  const unique = [...new Set(names)];
  return unique.map((n) => REPORTERS[n]({ ...o, withConsole: unique.includes('console') }));
}
