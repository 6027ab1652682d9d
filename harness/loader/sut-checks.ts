/**
 * Validate-time checks of a profile's SUT sections against the scenarios that use them: every
 * `${name}` template must be one its scenario provides (an unknown one would otherwise become
 * an empty argument and the failure would blame the product), and every pattern — the ready
 * line, a scenario's report or claim pattern — must compile as RE2 (harness/util/pattern.ts).
 * Each problem carries its position in the profile.
 */
import type { AnyScenario } from '../model/scenario.ts';
import type { SutVariable } from '../model/scenario.ts';
import { sutFileProblem } from '../process/sut-files.ts';
import { patternProblem } from '../util/pattern.ts';
import { isTemplateProblem, parseTemplate } from '../util/template.ts';
import { dottedPath } from './path.ts';
import type { Profile, ProfileIssue, RawSut } from './profile.ts';
import type { PathSegment } from './yaml-source.ts';

type At = (code: string, path: PathSegment[], message: string) => ProfileIssue;

/** The variables `scenario` provides with these `with:` values. */
export function providedVariables(
  scenario: AnyScenario,
  withValues: Record<string, unknown>,
): Map<string, SutVariable> {
  const all = scenario.sutVariables ?? {};
  return new Map(Object.entries(all).filter(([, v]) => v.ifWith === undefined || withValues[v.ifWith] !== undefined));
}

/** Each template string of a SUT section with its path under the section. */
function templates(sut: RawSut): Array<[PathSegment[], string]> {
  const out: Array<[PathSegment[], string]> = [];
  if (Array.isArray(sut.command)) sut.command.forEach((a, j) => typeof a === 'string' && out.push([['command', j], a]));
  if (sut.env && typeof sut.env === 'object') {
    for (const [k, v] of Object.entries(sut.env)) if (typeof v === 'string') out.push([['env', k], v]);
  }
  if (typeof sut.ready?.port === 'string') out.push([['ready', 'port'], sut.ready.port]);
  if (sut.files && typeof sut.files === 'object') {
    for (const [name, content] of Object.entries(sut.files)) {
      out.push([['files', name], name]);
      if (typeof content === 'string') out.push([['files', name], content]);
    }
  }
  return out;
}

function checkPatterns(sut: RawSut, base: PathSegment[], at: At): ProfileIssue[] {
  const ready = sut.ready;
  if (!ready || typeof ready !== 'object') return [];
  const issues: ProfileIssue[] = [];
  if (ready.line !== undefined && ready.stdout !== undefined) {
    issues.push(
      at(
        'ready-line-twice',
        [...base, 'ready', 'stdout'],
        `${dottedPath([...base, 'ready'])}: give line (with stream) or stdout, not both`,
      ),
    );
  }
  if (ready.stream !== undefined && ready.line === undefined) {
    issues.push(
      at(
        'ready-stream-alone',
        [...base, 'ready', 'stream'],
        `${dottedPath([...base, 'ready', 'stream'])} ` +
          `says which stream ready.line is read from, and there is no ready.line`,
      ),
    );
  }
  for (const field of ['line', 'stdout'] as const) {
    const source = ready[field];
    if (typeof source !== 'string') continue;
    const why = patternProblem(source);
    if (why)
      issues.push(
        at(
          'bad-pattern',
          [...base, 'ready', field],
          `${dottedPath([...base, 'ready', field])} is not a pattern netconform can run: ${why}`,
        ),
      );
  }
  return issues;
}

/** A `sut.files` name that is no template must already be a path inside its folder. */
function checkFileNames(sut: RawSut, base: PathSegment[], at: At): ProfileIssue[] {
  if (!sut.files || typeof sut.files !== 'object') return [];
  return Object.keys(sut.files).flatMap((name) => {
    const why = name.includes('${') ? undefined : sutFileProblem(name);
    return why
      ? [at('bad-file-name', [...base, 'files', name], `${dottedPath([...base, 'files'])}: "${name}" ${why}`)]
      : [];
  });
}

function describeProvided(provided: Map<string, SutVariable>, scenario: AnyScenario): string {
  const names = [...provided.keys()].map((n) => `\${${n}}`);
  const conditional = Object.entries(scenario.sutVariables ?? {})
    .filter(([n, v]) => v.ifWith !== undefined && !provided.has(n))
    .map(([n, v]) => `\${${n}} only with with.${v.ifWith}`);
  return [names.length ? `provides ${names.join(', ')}` : 'provides no variables', ...conditional].join('; ');
}

export function checkSutSections(profile: Profile, registry: Map<string, AnyScenario>, at: At): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const seen = new Set<string>();
  const push = (i: ProfileIssue): void => {
    const key = `${i.line}:${i.col}:${i.message}`;
    if (!seen.has(key)) issues.push(i);
    seen.add(key);
  };
  if (profile.sut && typeof profile.sut === 'object') {
    checkPatterns(profile.sut, ['sut'], at).forEach(push);
    checkFileNames(profile.sut, ['sut'], at).forEach(push);
  }
  if (!Array.isArray(profile.scenarios)) return issues;
  profile.scenarios.forEach((s, i) => {
    if (!s || typeof s !== 'object') return;
    if (s.sut && typeof s.sut === 'object') {
      checkPatterns(s.sut, ['scenarios', i, 'sut'], at).forEach(push);
      checkFileNames(s.sut, ['scenarios', i, 'sut'], at).forEach(push);
    }
    const scenario = typeof s.use === 'string' ? registry.get(s.use) : undefined;
    if (!scenario) return;
    for (const param of scenario.patternParams ?? []) {
      const [section, key] = param.split('.') as ['with' | 'expect', string];
      const value = (s[section] as Record<string, unknown> | undefined)?.[key];
      if (typeof value !== 'string') continue;
      const why = patternProblem(value, { ignoreCase: true });
      if (why)
        push(
          at(
            'bad-pattern',
            ['scenarios', i, section, key],
            `scenarios[${i}].${param} is not a pattern netconform can run: ${why}`,
          ),
        );
    }
    const sut = s.sut ?? profile.sut;
    const drivesSut = scenario.requires.includes('sut') || scenario.sutVariables !== undefined;
    if (!sut || typeof sut !== 'object' || !drivesSut) return;
    const base: PathSegment[] = s.sut ? ['scenarios', i, 'sut'] : ['sut'];
    const provided = providedVariables(scenario, (s.with ?? {}) as Record<string, unknown>);
    if (sut.files && typeof sut.files === 'object')
      provided.set('files', { description: 'the folder sut.files are written to' });
    for (const [path, text] of templates(sut)) {
      const where = dottedPath([...base, ...path]);
      const parts = parseTemplate(text);
      if (isTemplateProblem(parts)) {
        push(at('bad-template', [...base, ...path], `${where}: ${parts.message}`));
        continue;
      }
      for (const part of parts) {
        if (!('variable' in part) || provided.has(part.variable)) continue;
        const user = s.sut ? '' : ` (the profile's sut, used by scenarios[${i}] "${s.id}")`;
        const known = `${scenario.id} ${describeProvided(provided, scenario)}`;
        const msg = `${where}${user}: unknown variable \${${part.variable}}: ${known}; write $\${ for a literal \${`;
        push(at('unknown-variable', [...base, ...path], msg));
      }
    }
  });
  return issues;
}
