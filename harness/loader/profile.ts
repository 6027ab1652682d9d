/**
 * Loading a profile: read → YAML with positions → profile schema → each scenario's own
 * schema → cross-checks (ids, `use:` names, SUT, lab). Every problem becomes one
 * `file:line:col: message` line; all are reported, not only the first.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats, Stats } from 'node:fs';
import { constants, type FileHandle, open, stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { checkLabSpec, type LabSpec } from '../lab/schema.ts';
import type { StreamChoice, SutExitMeaning, SutSpec } from '../process/types.ts';
import { closest } from '../util/closest.ts';
import { parseDuration, type Duration } from '../util/duration.ts';
import { escapeControl } from '../util/escape.ts';
import { pseudoFilesystemOf } from '../util/pseudo-fs.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';
import { validateWith, type Validation } from './ajv.ts';
import { dottedPath } from './path.ts';
import { profileSchema } from './profile-schema.ts';
import { checkSutSections } from './sut-checks.ts';
import { boundedParamsSchema } from './scenario-schema.ts';
import { decodeProfile, MAX_PROFILE_BYTES, parseYaml, positionOf, type PathSegment } from './yaml-source.ts';
import type { AnyScenario } from '../model/scenario.ts';

export interface RawSut {
  name?: string;
  host?: string;
  command: string[];
  env?: Record<string, string>;
  files?: Record<string, string>;
  exit?: SutExitMeaning;
  ready?: {
    line?: string;
    stream?: StreamChoice;
    stdout?: string;
    port?: number | string;
    delay?: Duration;
    timeout?: Duration;
  };
  minReaction?: Duration;
}

export interface ScenarioSpec {
  id: string;
  use: string;
  description?: string;
  tags?: string[];
  with: Record<string, unknown>;
  expect: Record<string, unknown>;
  timeout?: Duration;
  retries?: number;
  expectFail?: string;
  sut?: RawSut;
}

export interface Profile {
  $schema?: string;
  profile: string;
  description?: string;
  tags: string[];
  requires?: { platforms?: Array<'linux' | 'darwin'>; privileges?: Array<'root'>; capabilities?: string[] };
  /** Validated by the lab's own schema and checks (harness/lab/schema.ts). */
  lab?: LabSpec;
  sut?: RawSut;
  /** The fewest checks the profile must judge (pass, fail, flaky, xfail) for a green run. */
  minJudged?: number;
  scenarios: ScenarioSpec[];
}

export interface LoadedProfile {
  /** As the user named it (relative to cwd when inside it): used in messages. */
  file: string;
  dir: string;
  sha256: string;
  profile: Profile;
  /** Scenario id → the 1-based line of its `- id:` item in the file (reports link to it). */
  scenarioLines: Record<string, number>;
}

export interface ProfileIssue {
  file: string;
  line: number;
  col: number;
  code: string;
  path: string;
  message: string;
  /** How many errors this line stands for, when it summarizes ones not described (default 1). */
  count?: number;
}

/** At most this many issues are printed; the rest are counted ("… and N more"). */
export const MAX_REPORTED_ISSUES = 50;

/** One line per issue, control characters escaped (a profile's text never reaches the terminal raw). */
export function formatIssue(i: ProfileIssue): string {
  return escapeControl(`${i.file}:${i.line}:${i.col}: ${i.message}`);
}

/** How many errors `issues` stand for (a summary line counts as what it summarizes). */
export function countIssues(issues: readonly ProfileIssue[]): number {
  return issues.reduce((n, i) => n + (i.count ?? 1), 0);
}

/** The lines to print for `issues`: the first MAX_REPORTED_ISSUES, then "… and N more". */
export function formatIssues(issues: readonly ProfileIssue[]): string[] {
  const shown = issues.slice(0, MAX_REPORTED_ISSUES);
  const lines = shown.map(formatIssue);
  const more = countIssues(issues) - shown.length;
  if (more > 0) lines.push(`… and ${more} more profile error${more === 1 ? '' : 's'}`);
  return lines;
}

export class ProfileError extends Error {
  constructor(readonly issues: ProfileIssue[]) {
    super(formatIssues(issues).join('\n'));
    this.name = 'ProfileError';
  }
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  return rel && !rel.startsWith('..') ? rel : resolve(file);
}

/** Reads and validates one profile; throws ProfileError with every issue found. */
export async function loadProfile(file: string, registry: Map<string, AnyScenario>): Promise<LoadedProfile> {
  const shown = displayPath(file);
  const fail = (code: string, message: string): never => {
    throw new ProfileError([{ file: shown, line: 1, col: 1, code, path: '', message }]);
  };
  const bytes = await readProfileBytes(file, fail);
  const decoded = decodeProfile(bytes);
  if (!decoded.ok) throw new ProfileError(decoded.issues.map((i) => ({ file: shown, ...i, path: '' })));
  const { profile: loaded, scenarioLines } = parseProfileSource(decoded.text, shown, registry);
  return {
    file: shown,
    dir: dirname(resolve(file)),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    profile: loaded,
    scenarioLines,
  };
}

const REGULAR = 'a profile is a regular file';
const KINDS: Array<[string, (st: Stats | BigIntStats) => boolean]> = [
  ['a folder', (st) => st.isDirectory()],
  ['a named pipe', (st) => st.isFIFO()],
  ['a socket', (st) => st.isSocket()],
  ['a character device', (st) => st.isCharacterDevice()],
  ['a block device', (st) => st.isBlockDevice()],
];

/**
 * A profile's bytes: from a regular file on an ordinary filesystem only, and at most
 * MAX_PROFILE_BYTES + 1 of them, whatever its size says. `stat()` is not enough: files under
 * /proc and /sys say size 0 and then yield without end (/proc/self/pagemap) or block
 * (/proc/kmsg); a pipe or device would block or never end. The type is checked before opening
 * (opening a device can act on it) and again on the open descriptor (the path may have changed);
 * O_NONBLOCK keeps the open itself from waiting (a FIFO's writer).
 */
async function readProfileBytes(file: string, fail: (code: string, message: string) => never): Promise<Buffer> {
  const notRegular = (st: Stats | BigIntStats): void => {
    const kind = KINDS.find(([, is]) => is(st))?.[0] ?? 'not a regular file';
    fail('not-a-file', `not a regular file (${kind}): a profile is a YAML file`);
  };
  const cannot = (err: unknown): never =>
    fail('not-found', `cannot read profile: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  const before = await stat(file).catch(cannot);
  if (!before.isFile()) notRegular(before);
  const fh: FileHandle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch(cannot);
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) notRegular(st);
    const pseudo = await pseudoFilesystemOf(st.dev);
    if (pseudo) fail('not-a-file', `is on ${pseudo}, a kernel pseudo-filesystem (files made up on read): ${REGULAR}`);
    const limit = `a profile may be at most ${MAX_PROFILE_BYTES} bytes`;
    if (st.size > BigInt(MAX_PROFILE_BYTES)) fail('too-large', `file is ${st.size} bytes; ${limit}`);
    const buf = Buffer.alloc(MAX_PROFILE_BYTES + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, null).catch(cannot);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) fail('too-large', `file grew past ${MAX_PROFILE_BYTES} bytes while read; ${limit}`);
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** Loads every profile; all issues of all files are reported together. */
export async function loadProfiles(files: string[], registry: Map<string, AnyScenario>): Promise<LoadedProfile[]> {
  const loaded: LoadedProfile[] = [];
  const issues: ProfileIssue[] = [];
  for (const f of files) {
    try {
      loaded.push(await loadProfile(f, registry));
    } catch (err) {
      if (err instanceof ProfileError) issues.push(...err.issues);
      else throw err;
    }
  }
  if (issues.length) throw new ProfileError(issues);
  const names = new Map<string, string>();
  for (const p of loaded) {
    const other = names.get(p.profile.profile);
    if (other)
      throw new CliError(
        `${p.file}: profile name "${p.profile.profile}" is also used by ${other}; names must differ within a run`,
        ExitCode.usage,
      );
    names.set(p.profile.profile, p.file);
  }
  return loaded;
}

/**
 * Parses and validates profile text (exported for tests); throws ProfileError. The result is a
 * copy of the document with the schemas' defaults filled in; the parsed document is not changed.
 */
export function parseProfileText(text: string, shown: string, registry: Map<string, AnyScenario>): Profile {
  return parseProfileSource(text, shown, registry).profile;
}

/** `parseProfileText` plus where each scenario item starts (from the YAML node positions). */
function parseProfileSource(
  text: string,
  shown: string,
  registry: Map<string, AnyScenario>,
): { profile: Profile; scenarioLines: Record<string, number> } {
  const parsed = parseYaml(text);
  if (!parsed.ok) throw new ProfileError(parsed.issues.map((i) => ({ file: shown, ...i, path: '' })));
  const { source, data } = parsed;
  const at = (code: string, path: PathSegment[], message: string, atKey = false): ProfileIssue => ({
    file: shown,
    ...positionOf(source, path, { key: atKey }),
    code,
    path: dottedPath(path),
    message,
  });
  if (data === null || data === undefined) {
    throw new ProfileError([at('empty', [], 'the file is empty: a profile is a mapping with profile: and scenarios:')]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    const found = Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    throw new ProfileError([
      at('not-a-mapping', [], `the top level must be a mapping (profile:, scenarios:, …); found ${found}`),
    ]);
  }
  const fromSchema = (v: Validation<unknown>, base: PathSegment[] = []) => {
    const out = v.issues.map((i) => at(i.code, i.path, i.message, i.atKey));
    if (v.undescribed > 0) {
      const last = out[out.length - 1]!;
      out.push({
        ...last,
        code: 'undescribed',
        path: dottedPath(base),
        count: v.undescribed,
        message: `${dottedPath(base)}: ${v.undescribed} more schema errors after these (not described)`,
      });
    }
    return out;
  };
  const validated = validateWith<Profile>(profileSchema, data);
  const issues = fromSchema(validated);
  const profile = validated.value;
  if (Array.isArray(profile.scenarios)) issues.push(...checkScenarios(profile, registry, at, fromSchema));
  issues.push(...checkSutSections(profile, registry, at));
  if (profile.lab && typeof profile.lab === 'object' && issues.length === 0) {
    for (const li of checkLabSpec(profile.lab))
      issues.push(
        at(
          'lab',
          ['lab', ...li.path],
          `lab.${dottedPath(li.path)}: ${li.message}`.replace('lab.(top level): ', 'lab: '),
        ),
      );
  }
  if (issues.length) throw new ProfileError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
  const scenarioLines: Record<string, number> = {};
  profile.scenarios.forEach((sc, i) => (scenarioLines[sc.id] = positionOf(source, ['scenarios', i]).line));
  return { profile, scenarioLines };
}

type At = (code: string, path: PathSegment[], message: string, atKey?: boolean) => ProfileIssue;

function checkScenarios(
  profile: Profile,
  registry: Map<string, AnyScenario>,
  at: At,
  fromSchema: (v: Validation<unknown>, base?: PathSegment[]) => ProfileIssue[],
): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const ids = new Map<string, number>();
  const labHosts = hostNames(profile.lab);
  profile.scenarios.forEach((s, i) => {
    if (!s || typeof s !== 'object') return;
    if (typeof s.id === 'string') {
      const first = ids.get(s.id);
      if (first !== undefined)
        issues.push(
          at(
            'duplicate-id',
            ['scenarios', i, 'id'],
            `scenarios[${i}].id "${s.id}" is already used by scenarios[${first}]`,
          ),
        );
      else ids.set(s.id, i);
    }
    if (typeof s.use !== 'string') return;
    const scenario = registry.get(s.use);
    if (!scenario) {
      const near = closest(s.use, [...registry.keys()]);
      issues.push(
        at(
          'unknown-use',
          ['scenarios', i, 'use'],
          `scenarios[${i}].use: unknown scenario "${s.use}"${near.length ? `; did you mean ${near.join(', ')}?` : ''} (netconform list shows them all)`,
        ),
      );
      return;
    }
    if (s.with && typeof s.with === 'object') {
      const v = validateWith<Record<string, unknown>>(boundedParamsSchema(scenario.withSchema), s.with, [
        'scenarios',
        i,
        'with',
      ]);
      issues.push(...fromSchema(v, ['scenarios', i, 'with']));
      s.with = v.value;
    }
    if (s.expect && typeof s.expect === 'object') {
      const v = validateWith<Record<string, unknown>>(boundedParamsSchema(scenario.expectSchema), s.expect, [
        'scenarios',
        i,
        'expect',
      ]);
      issues.push(...fromSchema(v, ['scenarios', i, 'expect']));
      s.expect = v.value;
    }
    const sut = s.sut ?? profile.sut;
    if (scenario.requires.includes('sut') && !sut) {
      issues.push(
        at(
          'sut-missing',
          ['scenarios', i],
          `scenarios[${i}] uses ${s.use}, which drives a system under test: add sut: { command: [...] } to the scenario or the profile`,
        ),
      );
    }
    if (scenario.requires.includes('lab') && !profile.lab) {
      issues.push(
        at(
          'lab-missing',
          ['scenarios', i, 'use'],
          `scenarios[${i}] uses ${s.use}, which runs in a lab: add a lab: section (see profiles/lab-example.yaml)`,
        ),
      );
    }
    if (s.sut?.host && labHosts && !labHosts.includes(s.sut.host)) {
      issues.push(
        at(
          'unknown-host',
          ['scenarios', i, 'sut', 'host'],
          `scenarios[${i}].sut.host: no lab host "${s.sut.host}" (hosts: ${labHosts.join(', ')})`,
        ),
      );
    }
  });
  if (profile.sut?.host && labHosts && !labHosts.includes(profile.sut.host)) {
    issues.push(
      at(
        'unknown-host',
        ['sut', 'host'],
        `sut.host: no lab host "${profile.sut.host}" (hosts: ${labHosts.join(', ')})`,
      ),
    );
  }
  return issues;
}

function hostNames(lab: LabSpec | undefined): string[] | undefined {
  return lab?.hosts && typeof lab.hosts === 'object' ? Object.keys(lab.hosts) : undefined;
}

/** The profile's SUT section in the form harness/process takes. */
export function toSutSpec(raw: RawSut): SutSpec {
  const ready = raw.ready;
  return {
    name: raw.name,
    host: raw.host,
    command: raw.command,
    env: raw.env,
    files: raw.files,
    exit: raw.exit,
    ...(raw.minReaction === undefined ? {} : { minReactionMs: parseDuration(raw.minReaction) }),
    ready: ready && {
      line: ready.line,
      stream: ready.stream,
      stdout: ready.stdout,
      port: ready.port,
      delayMs: ready.delay === undefined ? undefined : parseDuration(ready.delay),
      timeoutMs: ready.timeout === undefined ? undefined : parseDuration(ready.timeout),
    },
  };
}
