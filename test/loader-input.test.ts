/**
 * Bad input refused at validate: durations a timer cannot wait, input
 * YAML forbids, values that only failed at run time, user text echoed raw; and validation that
 * is linear, capped in what it prints, and leaves the document alone.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, validateWith } from '../harness/loader/ajv.ts';
import {
  countIssues,
  formatIssue,
  formatIssues,
  loadProfile,
  parseProfileText,
  ProfileError,
} from '../harness/loader/profile.ts';
import { profileSchema } from '../harness/loader/profile-schema.ts';
import { boundedParamsSchema } from '../harness/loader/scenario-schema.ts';
import { parseYaml } from '../harness/loader/yaml-source.ts';
import { DurationError, MAX_DURATION_MS, parseDuration } from '../harness/util/duration.ts';
import { escapeControl } from '../harness/util/escape.ts';
import type { AnyScenario } from '../harness/model/scenario.ts';
import { loadRegistry } from '../harness/runner/registry.ts';
import { tempDir } from './helpers/tmp.ts';

let registry: Map<string, AnyScenario>;
beforeAll(async () => {
  registry = await loadRegistry();
});

function issuesOf(text: string): ProfileError['issues'] {
  try {
    parseProfileText(text, 'p.yaml', registry);
  } catch (err) {
    if (err instanceof ProfileError) return err.issues;
    throw err;
  }
  throw new Error('the profile validated');
}
const linesOf = (text: string) => issuesOf(text).map(formatIssue);

const one = (body: string) => `profile: p\nscenarios:\n  - id: a\n${body}`;

describe('durations are bounded by what a timer can wait (2^31 - 1 ms)', () => {
  it('parseDuration refuses longer ones naming the maximum, with a code', () => {
    expect(parseDuration('596h')).toBe(2_145_600_000);
    expect(parseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    for (const d of ['600h', '1000h', 3_000_000_000, 1e308, '99999999999999999999ms']) {
      expect(() => parseDuration(d)).toThrow(/longer than the maximum duration, 2147483647 ms \(about 596h31m\)/);
      try {
        parseDuration(d);
      } catch (err) {
        expect((err as DurationError).code).toBe('DURATION_TOO_LONG');
      }
    }
    expect(() => parseDuration(-1)).toThrow(DurationError);
    expect(() => parseDuration(1.5)).toThrow(DurationError);
  });

  it('a profile timeout, a SUT readiness time and a schedule phase past the maximum are located errors', () => {
    expect(linesOf(one('    use: fixture.counter\n    timeout: 3000000000\n'))).toEqual([
      'p.yaml:5:14: scenarios[0].timeout must be ≤ 2147483647 ms (about 596h31m)',
    ]);
    expect(linesOf(one('    use: fixture.counter\n    timeout: 1000h\n'))).toEqual([
      'p.yaml:5:14: scenarios[0].timeout must be at most 2147483647 ms (about 596h31m) (the longest a timer can wait)',
    ]);
    expect(linesOf(one('    use: fixture.counter\n    timeout: -5\n'))).toEqual([
      'p.yaml:5:14: scenarios[0].timeout must be ≥ 0',
    ]);
    expect(
      linesOf(
        `profile: p\nsut: { command: [x], ready: { delay: 1e308 } }\nscenarios: [{ id: a, use: fixture.counter }]\n`,
      ),
    ).toEqual(['p.yaml:2:38: sut.ready.delay must be ≤ 2147483647 ms (about 596h31m)']);
    const night = linesOf(
      one('    use: darkwake.churn\n    with: { schedule: { phases: [{ sleep: 1e308 }, { darkwake: 1000h }] } }\n'),
    );
    expect(night).toContain(
      'p.yaml:5:43: scenarios[0].with.schedule.phases[0].sleep must be ≤ 2147483647 ms (about 596h31m)',
    );
    expect(night).toContain(
      'p.yaml:5:64: scenarios[0].with.schedule.phases[1].darkwake must be at most 2147483647 ms (about 596h31m) (the longest a timer can wait)',
    );
  });

  it('every scenario parameter named …Ms is bounded the same way', () => {
    expect(linesOf(one('    use: keepalive.honoured\n    expect: { toleranceMs: 1e12 }\n'))).toContain(
      'p.yaml:5:28: scenarios[0].expect.toleranceMs must be ≤ 2147483647 ms (about 596h31m)',
    );
    // Found them all: no …Ms number in any registered scenario's schemas is left without that bound.
    const unbounded: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
      for (const [name, s] of Object.entries(props ?? {})) {
        if (
          name.endsWith('Ms') &&
          (s.type === 'number' || s.type === 'integer') &&
          !(typeof s.maximum === 'number' && s.maximum <= MAX_DURATION_MS)
        )
          unbounded.push(`${where}.${name}`);
        walk(s, `${where}.${name}`);
      }
      for (const v of Object.values(node)) if (v && typeof v === 'object' && v !== props) walk(v, where);
    };
    for (const s of registry.values()) {
      walk(boundedParamsSchema(s.withSchema), `${s.id} with`);
      walk(boundedParamsSchema(s.expectSchema), `${s.id} expect`);
    }
    expect(unbounded).toEqual([]);
  });
});

describe('validation leaves the document alone, compiles each schema once', () => {
  it('defaults land in the result, not in the parsed data', () => {
    const parsed = parseYaml(one('    use: fixture.counter\n'));
    if (!parsed.ok) throw new Error('did not parse');
    const before = structuredClone(parsed.data);
    const { issues, value } = validateWith<{ tags: string[]; scenarios: Array<{ with: object }> }>(
      profileSchema,
      parsed.data,
    );
    expect(issues).toEqual([]);
    expect(parsed.data).toEqual(before);
    expect(value.tags).toEqual([]);
    expect(value.scenarios[0]!.with).toEqual({});
    const profile = parseProfileText(one('    use: fixture.counter\n'), 'p.yaml', registry);
    expect(profile.scenarios[0]!.with).toEqual({ port: 9, passOnAttempt: 1 });
  });

  it('one validator per schema object', () => {
    const s = [...registry.values()][0]!;
    expect(compile(profileSchema)).toBe(compile(profileSchema));
    expect(boundedParamsSchema(s.withSchema)).toBe(boundedParamsSchema(s.withSchema));
  });
});

describe('input YAML forbids, or the run would only find out later', () => {
  it('a raw NUL byte or other control character in the file', () => {
    expect(linesOf('profile: p\x00x\nscenarios: []\n')).toEqual([
      'p.yaml:1:11: invalid YAML: character U+0000 (NUL) is not allowed in a YAML file (YAML 1.2 §5.1)',
    ]);
    expect(linesOf('profile: p\nscenarios:\n  - id: a\x1b[2J\n')).toEqual([
      'p.yaml:3:10: invalid YAML: character U+001B (ESC) is not allowed in a YAML file (YAML 1.2 §5.1)',
    ]);
  });

  it('a NUL from an escape, a collection key (no Node warning), a non-core tag, a duplicate key', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(linesOf(one('    use: fixture.counter\n    sut: { command: ["a\\0b"] }\n'))).toEqual([
        'p.yaml:5:22: invalid YAML: a value contains a NUL character (U+0000), which no argv, environment or name can hold',
      ]);
      expect(linesOf('profile: p\n? [a, b]\n: 1\nscenarios: [{ id: a, use: fixture.counter }]\n')).toEqual([
        'p.yaml:2:3: invalid YAML: a mapping key must be a plain value, not a sequence',
      ]);
      expect(linesOf(one('    use: fixture.counter\n    with: !!binary aGk=\n'))).toEqual([
        'p.yaml:5:20: invalid YAML: tag !!binary is not supported (a profile uses plain YAML values)',
      ]);
      expect(linesOf(one('    use: fixture.counter\n    use: fixture.counter\n'))).toEqual([
        'p.yaml:5:5: invalid YAML: duplicate key "use" (first at line 4); map keys must be unique',
      ]);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('an invalid sut.ready.stdout pattern, at the profile and scenario level', () => {
    expect(
      linesOf(
        `profile: p\nsut: { command: [x], ready: { stdout: "(ready" } }\nscenarios:\n  - id: a\n    use: fixture.counter\n    sut: { command: [y], ready: { stdout: "[" } }\n`,
      ),
    ).toEqual([
      'p.yaml:2:39: sut.ready.stdout is not a pattern netconform can run: missing closing ): `(ready` (patterns use RE2 syntax: no backreferences or lookaround)',
      'p.yaml:6:43: scenarios[0].sut.ready.stdout is not a pattern netconform can run: missing closing ]: `[` (patterns use RE2 syntax: no backreferences or lookaround)',
    ]);
  });

  it('every ${…} in a SUT section is one its scenario provides: unknown names, a with-only one, bad templates', () => {
    const lab =
      'lab:\n  segments: { a: {}, b: {} }\n  hosts:\n    h: { links: [{ segment: a }, { segment: b }] }\n    p: { links: [{ segment: a }] }\n    q: { links: [{ segment: b }] }\n';
    const reach = (sut: string, w = '{}') =>
      `profile: p\n${lab}scenarios:\n  - id: r\n    use: discovery.reach\n    with: ${w}\n    sut: ${sut}\n`;
    expect(
      linesOf(reach('{ host: h, command: [x, --port, "${port}", --group, "${group}", "${constructor}"] }')),
    ).toEqual([
      'p.yaml:12:62: scenarios[0].sut.command[4]: unknown variable ${group}: discovery.reach provides ${port}, ${timeoutMs}; ${group} only with with.group; write $${ for a literal ${',
      'p.yaml:12:74: scenarios[0].sut.command[5]: unknown variable ${constructor}: discovery.reach provides ${port}, ${timeoutMs}; ${group} only with with.group; write $${ for a literal ${',
    ]);
    expect(() =>
      parseProfileText(
        reach('{ host: h, command: [x, "${group}"], env: { G: "${group}" } }', '{ group: 239.255.0.9 }'),
        'p.yaml',
        registry,
      ),
    ).not.toThrow();
    // $${ passes a literal ${ through (a shell snippet), and a malformed one is located too.
    expect(() =>
      parseProfileText(reach('{ host: h, command: [sh, -c, "echo $${HOME##*/}"] }'), 'p.yaml', registry),
    ).not.toThrow();
    expect(linesOf(reach('{ host: h, command: [sh, -c, "echo ${d##*/}"] }'))).toEqual([
      'p.yaml:12:39: scenarios[0].sut.command[2]: ${d##*/} is not a variable name (write $${ for a literal ${, as in a shell snippet)',
    ]);
    // The profile's own sut is checked against each scenario that uses it.
    expect(
      linesOf(
        `profile: p\n${lab}sut: { host: h, command: [x, "\${nope}"] }\nscenarios:\n  - id: r\n    use: discovery.reach\n`,
      )[0],
    ).toBe(
      'p.yaml:8:30: sut.command[1] (the profile\'s sut, used by scenarios[0] "r"): unknown variable ${nope}: discovery.reach provides ${port}, ${timeoutMs}; ${group} only with with.group; write $${ for a literal ${',
    );
  });

  it('sut.files: names stay inside ${files}, and ${files} exists only with sut.files', () => {
    const lab =
      'lab:\n  segments: { a: {} }\n  hosts:\n    h: { links: [{ segment: a }] }\n    p: { links: [{ segment: a }] }\n';
    const reach = (sut: string) =>
      `profile: p\n${lab}scenarios:\n  - id: r\n    use: discovery.reach\n    sut: ${sut}\n`;
    expect(() =>
      parseProfileText(
        reach('{ host: h, command: [x, "${files}/a.conf"], files: { a.conf: "port ${port}" } }'),
        'p.yaml',
        registry,
      ),
    ).not.toThrow();
    expect(linesOf(reach('{ host: h, command: [x, "${files}/a.conf"] }'))[0]).toMatch(/unknown variable \$\{files\}/);
    expect(linesOf(reach('{ host: h, command: [x], files: { ../a.conf: x } }'))[0]).toMatch(
      /scenarios\[0\]\.sut\.files: "\.\.\/a\.conf" may not contain "\.\."/,
    );
    expect(linesOf(reach('{ host: h, command: [x], files: { a.conf: "${nope}" } }'))[0]).toMatch(
      /scenarios\[0\]\.sut\.files\.a\.conf: unknown variable \$\{nope\}/,
    );
  });

  it('ready.line with stream, or ready.stdout; scenario patterns compile as RE2', () => {
    const p = (ready: string) =>
      `profile: p\nsut: { command: [x], ready: ${ready} }\nscenarios:\n  - id: a\n    use: fixture.counter\n`;
    expect(() => parseProfileText(p('{ line: "^up", stream: stderr }'), 'p.yaml', registry)).not.toThrow();
    expect(linesOf(p('{ line: "^up", stdout: "^up" }'))).toEqual([
      'p.yaml:2:52: sut.ready: give line (with stream) or stdout, not both',
    ]);
    expect(linesOf(p('{ stream: stderr }'))).toEqual([
      'p.yaml:2:39: sut.ready.stream says which stream ready.line is read from, and there is no ready.line',
    ]);
    const lnp = `profile: p\nlab:\n  segments: { a: {} }\n  hosts:\n    h: { links: [{ segment: a }] }\nscenarios:\n  - id: d\n    use: lnp.sut-detects-denial\n    sut: { host: h, command: [x] }\n    expect: { reportPattern: "denied(?=!)" }\n`;
    expect(linesOf(lnp)).toEqual([
      'p.yaml:10:30: scenarios[0].expect.reportPattern is not a pattern netconform can run: invalid or unsupported Perl syntax: `(?=` (patterns use RE2 syntax: no backreferences or lookaround)',
    ]);
  });

  it('control characters of an echoed value are escaped, never written raw', () => {
    const lines = linesOf(one('    use: "x.\\e]0;owned\\a\\e[31m"\n'));
    expect(lines.join('\n')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(lines).toContain(
      'p.yaml:4:10: scenarios[0].use: unknown scenario "x.\\x1b]0;owned\\x07\\x1b[31m" (netconform list shows them all)',
    );
    expect(escapeControl('a\u202Eb\u009bc\nd')).toBe('a\\u{202e}b\\x9bc\\nd');
  });

  it('invalid UTF-8 is located; a BOM and CRLF line ends are fine', async () => {
    const dir = await tempDir('nc-input-');
    const bad = join(dir, 'latin1.yaml');
    await writeFile(
      bad,
      Buffer.concat([
        Buffer.from('profile: p\ndescription: caf'),
        Buffer.from([0xe9]),
        Buffer.from('\nscenarios: []\n'),
      ]),
    );
    await expect(loadProfile(bad, registry)).rejects.toThrow(
      /latin1.yaml:2:17: invalid YAML: byte 0xe9 at offset 27 is not UTF-8/,
    );
    const ok = join(dir, 'bom-crlf.yaml');
    await writeFile(
      ok,
      '\uFEFFprofile: p\r\nscenarios:\r\n  - id: a\r\n    use: fixture.counter\r\n    with: { port: 70000 }\r\n',
    );
    await expect(loadProfile(ok, registry)).rejects.toThrow(
      /bom-crlf.yaml:5:19: scenarios\[0\]\.with\.port must be ≤ 65535/,
    );
  });

  it('nesting deeper than 64 levels', () => {
    expect(linesOf(one(`    use: fixture.counter\n    with: { x: ${'['.repeat(80)}${']'.repeat(80)} }\n`))).toEqual([
      'p.yaml:5:16: invalid YAML: nested more deeply than 64 levels',
    ]);
    expect(
      linesOf(one(`    use: fixture.counter\n    with: { x: ${'['.repeat(20000)}${']'.repeat(20000)} }\n`))[0],
    ).toMatch(/^p\.yaml:5:\d+: invalid YAML: nested more deeply than 64 levels$/);
  });
});

describe('many errors', () => {
  it('2,000 unknown keys: every one counted, 500 described, 50 printed, then "and N more"', () => {
    const text = one(
      `    use: fixture.counter\n    with:\n${Array.from({ length: 2_000 }, (_, i) => `      k${i}: 1\n`).join('')}`,
    );
    const issues = issuesOf(text);
    expect(countIssues(issues)).toBe(2_000);
    expect(issues).toHaveLength(501);
    expect(issues[499]).toMatchObject({ line: 505, col: 7, path: 'scenarios[0].with.k499' });
    expect(issues[500]).toMatchObject({
      count: 1_500,
      message: 'scenarios[0].with: 1500 more schema errors after these (not described)',
    });
    const printed = formatIssues(issues);
    expect(printed).toHaveLength(51);
    expect(printed[0]).toBe(
      'p.yaml:6:7: scenarios[0].with.k0 is not allowed (unknown key; expected one of: passOnAttempt, port)',
    );
    expect(printed[50]).toBe('… and 1950 more profile errors');
  });
});
