/**
 * JUnit XML via junit-report-builder: one testsuite per profile, one testcase per check
 * (classname = `<profile>.<scenario id>`, so one id in two profiles stays two classes in Jenkins;
 * the name carries the repetition under `--repeat-each`), and a skipped testcase per scenario a
 * stopped run did not reach ("not run (--bail)"). Two flavours: `annotated` (the default) adds
 * `file` and `line` to each testcase for GitHub's and GitLab's annotators; `strict` leaves them
 * out and is valid against test/fixtures/schemas/junit-10.xsd (Jenkins xUnit) as published.
 */
import { join, relative } from 'node:path';
import type { Builder, TestCase } from 'junit-report-builder';
import { rerunLines, notRunLabel, type NotRunScenario, type RunResult, type ScenarioResult } from '../model/results.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { evidenceBlock } from './evidence-text.ts';
import type { JUnitFlavour } from '../model/junit-flavour.ts';
import type { Reporter } from './reporter.ts';

// The package's types declare an ES default export, but under Node's CJS interop the default
// import is module.exports, which is the builder itself. Imported at the first report: with its
// lodash it is ~10 % of a `validate`'s start-up, which writes none (test/bench/startup.bench.ts).
const junitBuilder = async (): Promise<Builder> => (await import('junit-report-builder')).default as unknown as Builder;

/** XML 1.0 forbids most control characters; CDATA cannot contain "]]>". */
export function xmlSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD').replace(/]]>/g, ']]&gt;');
}

/**
 * junit-report-builder 5 writes `<skipped/>` with no reason, but the schema allows a
 * `message` attribute and a skip must carry its reason: add it when the case is built.
 */
function skippedWithReason(tc: TestCase, reason: string): void {
  tc.skipped();
  const build = tc.build.bind(tc);
  tc.build = (parent) => {
    const el = build(parent);
    const skipped = (
      el as unknown as { children: Array<{ name?: string; att(k: string, v: string): void }> }
    ).children.find((c) => c.name === 'skipped');
    skipped?.att('message', xmlSafe(reason));
    return el;
  };
}

/**
 * GitHub's and GitLab's JUnit readers (e.g. mikepenz/action-junit-report, GitLab's unit test
 * reports) annotate from `file` and `line` on a testcase. junit-10.xsd declares neither on
 * <testcase> (only `file` on <testsuite>), so these two attributes are the annotated flavour's
 * one departure from it, and the strict flavour leaves them out. junit-report-builder has
 * `file()` but no `line()`: the attribute goes into its attribute map.
 */
function withLine(tc: TestCase, line: number): void {
  (tc as unknown as { _attributes: Record<string, string> })._attributes.line = String(line);
}

/** Seconds with millisecond resolution (3 decimals at most). */
export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/**
 * junit-report-builder puts `skipped` on the root <testsuites>, which junit-10.xsd does not
 * allow there (only on <testsuite>); drop it from the root element alone.
 */
function withoutRootSkipped(xml: string): string {
  return xml.replace(/(<testsuites\b[^>]*?)\s+skipped="\d+"/, '$1');
}

export type { JUnitFlavour } from '../model/junit-flavour.ts';

/** A testcase's class: the profile and the scenario id, dot-joined as Jenkins reads package.class. */
export const junitClassName = (s: Pick<ScenarioResult, 'profile' | 'id'>): string => `${s.profile}.${s.id}`;

/** A testcase's name: the check's, with the repetition when there are several. */
export const junitCaseName = (check: string, s: Pick<ScenarioResult, 'repeat'>): string =>
  s.repeat ? `${check} (repeat ${s.repeat})` : check;

export class JUnitReporter implements Reporter {
  readonly name = 'junit';
  constructor(
    private readonly outDir: string,
    private readonly flavour: JUnitFlavour = 'annotated',
  ) {}

  /** A testcase with its class and name, and where the profile declares it unless strict. */
  private newCase(make: () => TestCase, s: NotRunScenario, name: string): TestCase {
    const tc = make()
      .className(xmlSafe(junitClassName(s)))
      .name(xmlSafe(junitCaseName(name, s)));
    if (this.flavour === 'annotated') {
      tc.file(xmlSafe(s.file));
      withLine(tc, s.line);
    }
    return tc;
  }

  async onEnd(result: RunResult): Promise<void> {
    const builder = (await junitBuilder()).newBuilder().name('netconform');
    for (const profile of result.profiles) {
      const suite = builder.testSuite().name(profile.name).timestamp(new Date(result.startedAt));
      (suite as unknown as { _attributes: Record<string, string> })._attributes.file = xmlSafe(profile.file);
      const scenarios = result.scenarios.filter((s) => s.profile === profile.name);
      suite.time(seconds(scenarios.reduce((t, s) => t + s.durationMs, 0)));
      const env = result.environment;
      suite
        .property('platform', env.platform)
        .property('osRelease', env.osRelease)
        .property('node', env.node)
        .property('netconform', env.netconform)
        .property('profileFile', profile.file)
        .property('profileSha256', profile.sha256)
        .property('interrupted', String(result.interrupted));
      if (env.sutPriority) suite.property('sutPriority', env.sutPriority);
      for (const s of scenarios) this.addScenario(suite.testCase.bind(suite), s);
      for (const s of (result.notRunScenarios ?? []).filter((x) => x.profile === profile.name)) {
        skippedWithReason(this.newCase(suite.testCase.bind(suite), s, '(not run)').time(0), notRunLabel(result));
      }
    }
    await writeFileAtomic(join(this.outDir, 'junit.xml'), withoutRootSkipped(builder.build()));
  }

  private addScenario(newCase: () => TestCase, s: ScenarioResult): void {
    const per = s.checks.length ? seconds(s.durationMs / s.checks.length) : 0;
    s.checks.forEach((c, i) => {
      const tc = this.newCase(newCase, s, c.name).time(per);
      const evidence = xmlSafe(evidenceBlock(c.evidence));
      // The body starts with the reason (readers that show only the body still name the fault), evidence after.
      const body = [xmlSafe(c.reason), evidence].filter(Boolean).join('\n\n');
      switch (c.verdict) {
        case 'fail':
          tc.failure(xmlSafe(c.reason), 'fail');
          tc.stacktrace(body);
          break;
        case 'error':
          tc.error(xmlSafe(c.reason), 'error', body);
          break;
        case 'skip':
          skippedWithReason(tc, c.reason);
          break;
        default:
          break;
      }
      const notes: string[] = [];
      if (c.verdict === 'flaky') notes.push(`flaky: passed on attempt ${c.attempt} after failing: ${c.reason}`);
      if (c.verdict === 'xfail') notes.push(`expected failure: ${c.reason}`, evidence);
      // Every check of the scenario came from the re-run: each says what was set aside.
      notes.push(rerunLines(s).join('\n'));
      const withLog = i === 0 || c.verdict === 'fail' || c.verdict === 'error';
      if (withLog && s.log.length) notes.push(s.log.join('\n'));
      // Packet captures of a failing check: the attachment line Jenkins' junit-attachments and
      // GitLab read, with the path relative to the working directory (the CI workspace / project root).
      if ((c.verdict === 'fail' || c.verdict === 'error' || c.verdict === 'xfail') && s.captures?.length) {
        notes.push(
          s.captures.map((f) => `[[ATTACHMENT|${relative(process.cwd(), join(this.outDir, f.path))}]]`).join('\n'),
        );
      }
      if (notes.length) tc.standardOutput(xmlSafe(notes.filter(Boolean).join('\n\n')));
    });
  }
}
