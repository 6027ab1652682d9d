/** CI fit: JUnit file/line, --reporter github, merge of shards, and the run flags CI users reach for. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/model/results.ts';
import { escapeData, escapeProperty, workflowCommand } from '../harness/reporters/github.ts';
import { colorWanted } from '../harness/reporters/console.ts';
import { shardsByDuration, type PlannedScenario } from '../harness/runner/plan.ts';
import { cli, readJson, tempOut, validateJunit } from './helpers/cli.ts';

const fixture = (name: string) => `test/fixtures/profiles/${name}`;

describe('JUnit for annotators', () => {
  it('puts the profile file and the scenario line on each testcase; the failure body starts with the reason', async () => {
    const out = await tempOut();
    const r = await cli(['run', fixture('failing.yaml'), '--out', out, '-r', 'junit', '-r', 'json']);
    expect(r.exitCode, r.all).toBe(1);
    const xml = await readFile(join(out, 'junit.xml'), 'utf8');
    const res = await readJson<RunResult>(join(out, 'results.json'));
    const fails = res.scenarios.find((s) => s.id === 'fails')!;
    expect(xml).toMatch(
      new RegExp(
        `<testcase classname="failing\\.fails" name="counter" file="test/fixtures/profiles/failing\\.yaml" line="${fails.line}" time="[\\d.]+"`,
      ),
    );
    for (const t of xml.matchAll(/<testcase [^>]*time="([^"]+)"/g)) expect(t[1]).toMatch(/^\d+(\.\d{1,3})?$/);
    const reason = fails.checks.find((c) => c.verdict === 'fail')!.reason;
    expect(xml).toContain(`type="fail"><![CDATA[${reason}\n\ndelivery`);
    expect((await validateJunit(join(out, 'junit.xml'))).ok).toBe(true);
    // Against junit-10.xsd as published, the only complaints are the two attributes it does not declare.
    const strict = await validateJunit(join(out, 'junit.xml'), { strict: true });
    const complaints = strict.output.split('\n').filter((l) => /error/i.test(l));
    expect(complaints.length).toBeGreaterThan(0);
    for (const l of complaints) expect(l).toMatch(/attribute '(file|line)' is not allowed|fails to validate/);
    // --junit strict: valid as published.
    const strictOut = await tempOut();
    await cli(['run', fixture('failing.yaml'), '--out', strictOut, '-r', 'junit', '--junit', 'strict']);
    const v = await validateJunit(join(strictOut, 'junit.xml'), { strict: true });
    expect(v.ok, v.output).toBe(true);
  }, 240_000);
});

describe('--reporter github', () => {
  it('escapes data and properties per the workflow-command rules', () => {
    expect(escapeData('50% a\r\nb')).toBe('50%25 a%0D%0Ab');
    expect(escapeProperty('a,b:c%\n')).toBe('a%2Cb%3Ac%25%0A');
    expect(workflowCommand('error', { file: 'p,1.yaml', line: 3 }, 'x: y\nz')).toBe(
      '::error file=p%2C1.yaml,line=3::x: y%0Az',
    );
  });

  it('annotates each failing scenario with file and line, groups each scenario, writes the step summary, ends with the count line', async () => {
    const out = await tempOut();
    const summary = join(out, 'summary.md');
    await writeFile(summary, 'before\n');
    const r = await cli(['run', fixture('failing.yaml'), '--out', out, '-r', 'github', '-r', 'json'], {
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(r.exitCode, r.all).toBe(1);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('::group::'))).toHaveLength(res.scenarios.length);
    expect(lines.filter((l) => l === '::endgroup::')).toHaveLength(res.scenarios.length);
    const fails = res.scenarios.find((s) => s.id === 'fails')!;
    expect(lines).toContain(
      `::error file=test/fixtures/profiles/failing.yaml,line=${fails.line},title=failing › fails%3A 1 of 2 checks failed::${escapeData(`counter (fail): ${fails.checks[1]!.reason}`)}`,
    );
    const errors = lines.filter((l) => l.startsWith('::error '));
    expect(errors).toHaveLength(
      res.scenarios.filter((x) => x.checks.some((c) => c.verdict === 'fail' || c.verdict === 'error')).length,
    );
    expect(lines.filter(Boolean).at(-1)).toBe('7 passed, 4 failed, 0 skipped');
    const md = await readFile(summary, 'utf8');
    expect(md.startsWith('before\n')).toBe(true); // appended, not overwritten
    expect(md).toContain('## netconform: 7 passed, 2 failed, 2 errors, 0 skipped');
    expect(md).toContain('### Failures');
    expect(md).toMatch(/\| dut \| ✓ \| \*\*—\*\* ← \|/); // the failing check's matrix, mismatch marked
  }, 240_000);

  it('beside the console: each check line once, and the annotations', async () => {
    const r = await cli([
      'run',
      fixture('failing.yaml'),
      '--grep',
      '^fails$',
      '--out',
      await tempOut(),
      '-r',
      'console',
      '-r',
      'github',
    ]);
    expect(r.stdout.split('\n').filter((l) => l.includes('counter: lan-b got nothing on attempt 1'))).toHaveLength(1);
    expect(r.stdout).not.toContain('::group::');
    expect(r.stdout).toContain('::error file=test/fixtures/profiles/failing.yaml');
  }, 240_000);
});

describe('merge and shards', () => {
  it("merging two shards gives the unsharded run's counts and scenarios, in all three files", async () => {
    const [whole, s1, s2, merged] = await Promise.all([tempOut(), tempOut(), tempOut(), tempOut()]);
    const quiet = ['-r', 'json'];
    await Promise.all([
      cli(['run', fixture('failing.yaml'), '--out', whole, ...quiet]),
      cli(['run', fixture('failing.yaml'), '--out', s1, '--shard', '1/2', ...quiet]),
      cli(['run', fixture('failing.yaml'), '--out', s2, '--shard', '2/2', ...quiet]),
    ]);
    const m = await cli(['merge', s2, s1, '--out', merged, '-r', 'junit', '-r', 'json', '-r', 'html', '-r', 'github']);
    expect(m.exitCode, m.all).toBe(1);
    // merge -r github annotates too, and ends with the count line once.
    expect(m.stdout.split('\n').filter((l) => l.startsWith('::error '))).toHaveLength(4);
    expect(m.stdout.split('\n').filter((l) => l === '7 passed, 4 failed, 0 skipped')).toHaveLength(1);
    const a = await readJson<RunResult>(join(whole, 'results.json'));
    const b = await readJson<RunResult>(join(merged, 'results.json'));
    expect(b.summary).toEqual(a.summary);
    expect(b.scenarios.map((s) => s.id)).toEqual(a.scenarios.map((s) => s.id)); // the run's order, though s2 came first
    expect(b.mergedFrom).toEqual([s2, s1]);
    const twice = await cli(['merge', s1, s1, '--out', await tempOut()]);
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toContain('is given twice');
    const overlap = await cli(['merge', s1, whole, '--out', await tempOut()]);
    expect(overlap.exitCode).toBe(2);
    expect(overlap.stderr).toContain('the shards overlap');
    expect((await validateJunit(join(merged, 'junit.xml'))).ok).toBe(true);
    expect((await readFile(join(merged, 'junit.xml'), 'utf8')).match(/<testcase /g)).toHaveLength(
      a.scenarios.flatMap((s) => s.checks).length,
    );
    expect(await readFile(join(merged, 'report.html'), 'utf8')).toContain('7 passed, 4 failed, 0 skipped');
  }, 240_000);

  it('a missing shard folder is a usage error', async () => {
    const r = await cli(['merge', '/nonexistent-nc-shard', '--out', await tempOut()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('merge: cannot read /nonexistent-nc-shard/results.json: ENOENT');
  }, 240_000);

  it('balances shards by recorded duration (longest first onto the lightest shard), deterministically', () => {
    const plan = ['a', 'b', 'c', 'd'].map((k) => ({ key: k }) as PlannedScenario);
    const d = new Map([
      ['a', 9000],
      ['b', 100],
      ['c', 8000],
      ['d', 200],
    ]);
    expect(shardsByDuration(plan, 2, d)).toEqual([0, 1, 1, 1]); // 9000 vs 8300, where round-robin gives 9000+8000 vs 300
    expect(shardsByDuration(plan, 2, d)).toEqual(shardsByDuration(plan, 2, d));
    expect(shardsByDuration(plan, 3, new Map())).toEqual([0, 1, 2, 0]);
  }, 240_000);

  it('--shard-durations puts the two long scenarios of a previous run in different shards', async () => {
    const prev = await tempOut();
    await cli(['run', fixture('failing.yaml'), '--out', prev, '-r', 'json']);
    const res = await readJson<RunResult>(join(prev, 'results.json'));
    const longest = [...res.scenarios]
      .sort((x, y) => y.durationMs - x.durationMs)
      .slice(0, 2)
      .map((s) => s.id);
    const ids = async (i: number) => {
      const r = await cli([
        'run',
        fixture('failing.yaml'),
        '--shard',
        `${i}/2`,
        '--shard-durations',
        join(prev, 'results.json'),
        '--list',
        '--json',
      ]);
      return (JSON.parse(r.stdout) as Array<{ id: string }>).map((x) => x.id);
    };
    const [one, two] = await Promise.all([ids(1), ids(2)]);
    expect([...one, ...two].sort()).toEqual(res.scenarios.map((s) => s.id).sort());
    expect(longest.filter((id) => one.includes(id))).toHaveLength(1);
  }, 240_000);
});

describe('run flags', () => {
  it('--bail stops after the first failing scenario and says how many did not run', async () => {
    const out = await tempOut();
    const r = await cli(['run', fixture('failing.yaml'), '--out', out, '--bail', '-r', 'console', '-r', 'json']);
    expect(r.exitCode).toBe(1);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.scenarios.map((s) => s.id)).toEqual(['fails']);
    expect(res.notRun).toBe(5);
    expect(r.stdout).toContain('stopped after 1 failing scenario (--max-failures 1): 5 not run');
    expect(res.notRunScenarios?.map((s) => s.id)).toEqual(['flaky', 'known-bad', 'unexpected-pass', 'throws', 'hangs']);
    expect(res.maxFailures).toBe(1);
  }, 240_000);

  it('a run clears the captures an earlier run left in --out, and nothing else', async () => {
    const out = await tempOut();
    await mkdir(join(out, 'captures/old/x'), { recursive: true });
    await writeFile(join(out, 'captures/old/x/stale.pcap'), 'stale');
    await writeFile(join(out, 'mine.txt'), 'keep');
    const r = await cli(['run', fixture('good.yaml'), '--out', out, '-r', 'json']);
    expect(r.exitCode, r.all).toBe(0);
    await expect(stat(join(out, 'captures'))).rejects.toThrow('ENOENT');
    expect(await readFile(join(out, 'mine.txt'), 'utf8')).toBe('keep');
  }, 240_000);

  it('--max-failures 2 stops after the second', async () => {
    const out = await tempOut();
    await cli(['run', fixture('failing.yaml'), '--out', out, '--max-failures', '2', '-r', 'json']);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.scenarios.map((s) => s.id)).toEqual(['fails', 'flaky', 'known-bad', 'unexpected-pass']);
    expect((await cli(['run', fixture('good.yaml'), '--max-failures', '0'])).exitCode).toBe(2);
  }, 240_000);

  it('--late-reruns takes 0 to 5: anything else is exit 2 naming the range', async () => {
    for (const bad of ['6', '-1', '1.5', 'two', '']) {
      const r = await cli(['run', fixture('good.yaml'), '--late-reruns', bad, '--dry-run']);
      expect(r.exitCode, bad).toBe(2);
      expect(r.stderr).toContain(`--late-reruns must be a whole number from 0 to 5, got "${bad}"`);
    }
    expect((await cli(['run', fixture('good.yaml'), '--late-reruns', '0', '--dry-run'])).exitCode).toBe(0);
  }, 60_000);

  it('--repeat-each runs each selected scenario n times, numbered', async () => {
    const out = await tempOut();
    const r = await cli(['run', fixture('good.yaml'), '--out', out, '--repeat-each', '3', '-r', 'json']);
    expect(r.exitCode, r.all).toBe(0);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.scenarios.map((s) => `${s.id}#${s.repeat}`)).toEqual([
      'counter#1',
      'counter#2',
      'counter#3',
      'loopback#1',
      'loopback#2',
      'loopback#3',
    ]);
  }, 240_000);

  it('--last-failed reruns only what failed in the run recorded in --out', async () => {
    const out = await tempOut();
    await cli(['run', fixture('failing.yaml'), '--out', out, '-r', 'json']);
    const r = await cli(['run', fixture('failing.yaml'), '--out', out, '--last-failed', '--list', '--json']);
    expect((JSON.parse(r.stdout) as Array<{ id: string }>).map((x) => x.id)).toEqual([
      'fails',
      'unexpected-pass',
      'throws',
      'hangs',
    ]);
    const none = await cli(['run', fixture('good.yaml'), '--out', await tempOut(), '--last-failed']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('--last-failed: no last run is recorded in');
  }, 240_000);

  it('--list prints the selected instances with file:line, and --json', async () => {
    const r = await cli(['run', fixture('good.yaml'), '--list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^test\/fixtures\/profiles\/good\.yaml:\d+ {2}\S+ › counter {2}\(fixture\.counter\)$/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 scenarios');
    const j = await cli(['run', fixture('good.yaml'), '--list', '--json', '--grep', 'loop']);
    expect(JSON.parse(j.stdout)).toEqual([
      expect.objectContaining({ id: 'loopback', file: 'test/fixtures/profiles/good.yaml', line: expect.any(Number) }),
    ]);
  }, 240_000);

  it('--reporter is validated before --dry-run returns', async () => {
    const r = await cli(['run', fixture('good.yaml'), '--dry-run', '-r', 'junitt']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown reporter "junitt" (choose from console, junit, json, html, github)');
  }, 240_000);

  it("colour: FORCE_COLOR beats NO_COLOR (Node's rule), --no-color beats both, FORCE_COLOR turns it on off a TTY", async () => {
    expect(colorWanted(undefined, {}, true)).toBe(true);
    expect(colorWanted(undefined, {}, false)).toBe(false);
    expect(colorWanted(undefined, { NO_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted(undefined, { NO_COLOR: '1', FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorWanted(undefined, { NO_COLOR: '1', FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colorWanted(undefined, { FORCE_COLOR: '' }, false)).toBe(true);
    expect(colorWanted(false, { FORCE_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted(undefined, { FORCE_COLOR: '1' }, false)).toBe(true);
    const both = await cli(['run', fixture('good.yaml'), '-r', 'console', '--out', await tempOut()], {
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(both.stdout).toContain('\x1b[32m✓ pass');
    const forced = await cli(['run', fixture('good.yaml'), '-r', 'console', '--out', await tempOut()], {
      env: { FORCE_COLOR: '1' },
    });
    expect(forced.stdout).toContain('\x1b[32m✓ pass');
    const off = await cli(['run', fixture('good.yaml'), '-r', 'console', '--no-color', '--out', await tempOut()], {
      env: { FORCE_COLOR: '1' },
    });
    expect(off.stdout).not.toContain('\x1b[');
  }, 240_000);

  it('run --help shows examples and the exit codes', async () => {
    const r = await cli(['run', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 .*\n {2}4 .*\n {2}130 /);
  }, 240_000);

  it("prints an expected failure's evidence only with -v", async () => {
    const plain = await cli([
      'run',
      fixture('failing.yaml'),
      '--grep',
      '^known-bad$',
      '-r',
      'console',
      '--out',
      await tempOut(),
    ]);
    const verbose = await cli([
      'run',
      fixture('failing.yaml'),
      '--grep',
      '^known-bad$',
      '-r',
      'console',
      '-v',
      '--out',
      await tempOut(),
    ]);
    expect(plain.stdout).toContain('xfail');
    expect(plain.stdout).not.toContain('sender \\ segment');
    expect(verbose.stdout).toContain('sender \\ segment');
  }, 240_000);
});
