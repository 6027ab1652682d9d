/**
 * bundle.lint without the runner: walk the app, turn unreadable parts into `error` checks, run
 * each rule as one check. Kept apart from the scenario file so tests call it directly.
 */
import { dirname, relative } from 'node:path';
import { check, type Check, type Evidence } from '../../../harness/model/check.ts';
import { BundleInputError } from './errors.ts';
import { RULES } from './rules/index.ts';
import type { Finding, LintOptions, Rule } from './rules/types.ts';
import { walkApp, type AppModel } from './walker.ts';

export interface LintResult {
  checks: Check[];
  model: AppModel | undefined;
}

export async function lintApp(appPath: string, opts: LintOptions & { skip?: readonly string[] }): Promise<LintResult> {
  let model: AppModel;
  try {
    model = await walkApp(appPath);
  } catch (err) {
    if (err instanceof BundleInputError) return { checks: [readError(err, dirname(appPath))], model: undefined };
    throw err;
  }
  const checks: Check[] = [inventory(model), ...model.errors.map((e) => readError(e, dirname(appPath)))];
  for (const rule of RULES) {
    if (opts.skip?.includes(rule.id)) {
      checks.push(check.skip(rule.id, `turned off by with.skip (${rule.title})`));
      continue;
    }
    checks.push(runRule(rule, model, opts));
  }
  return { checks, model };
}

/** An unreadable part: named by its path below the app's folder, so each is its own check. */
export function readError(err: BundleInputError, root: string): Check {
  const rel = relative(root, err.file.replace(/ \(.*\)$/, ''));
  return check.error(
    `read ${rel && !rel.startsWith('..') ? rel : err.file}`,
    `${err.file}: ${err.detail} [${err.code}]`,
  );
}

function runRule(rule: Rule, model: AppModel, opts: LintOptions): Check {
  const out = rule.check(model, opts);
  const source: Evidence = { kind: 'text', title: 'rule', text: `${rule.title}\nsource: ${rule.source}` };
  if (!out.applies) {
    // A rule may look inapplicable only because a bundle could not be read: say so.
    const unread = model.unreadable.length
      ? `; not read (see the error checks): ${model.unreadable.map((u) => u.rel).join(', ')}`
      : '';
    return check.skip(rule.id, `not applicable: ${out.why}${unread}`, [source]);
  }
  if (out.findings.length) {
    return check.fail(rule.id, out.findings.map(formatFinding).join(' · '), [
      source,
      {
        kind: 'text',
        title: 'findings',
        text: out.findings
          .map((f) => `${f.file}\n  key: ${f.key}\n  problem: ${f.problem}\n  fix: ${f.fix}`)
          .join('\n'),
      },
      ...(out.verified.length ? [{ kind: 'text' as const, title: 'verified', text: out.verified.join('\n') }] : []),
    ]);
  }
  return check.pass(rule.id, `${rule.title}: ${out.verified.join(', ')}`, [source]);
}

export function formatFinding(f: Finding): string {
  return `${f.file}: ${f.key} ${f.problem}; fix: ${f.fix}`;
}

/** First check: what was found, so a report shows the bundle tree the rules saw. */
function inventory(model: AppModel): Check {
  const lines = [model.app, ...model.nested].map((b) => {
    const sig = b.signature;
    const ents = sig?.entitlements ? Object.keys(sig.entitlements).length : 0;
    const signing =
      b.signing === 'signed'
        ? `signed${sig?.teamId ? ` by ${sig.teamId}` : ' ad-hoc'}${b.slices.length > 1 ? ` (${b.slices.map((s) => s.arch).join('+')})` : ''}, ${ents} entitlements`
        : b.signing;
    return `${b.rel} [${b.kind}] ${b.bundleId ?? '(no CFBundleIdentifier)'} — ${signing}; profile ${b.profileState}`;
  });
  return check.pass(
    'inventory',
    `read ${model.nested.length + 1} bundle(s): ${[model.app, ...model.nested].map((b) => b.rel.split('/').pop()).join(', ')}`,
    [{ kind: 'text', title: 'bundles', text: lines.join('\n') }],
  );
}
