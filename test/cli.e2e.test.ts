import { chmod, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/model/results.ts';
import { bin, childPidsAlive, cli, readJson, repoRoot, tempOut, validateJunit } from './helpers/cli.ts';

const fixture = (name: string) => `test/fixtures/profiles/${name}`;

describe('netconform CLI end to end', () => {
  it('runs a passing profile: exit 0, valid JUnit, results.json, closing line', async () => {
    const out = await tempOut();
    const r = await cli(['run', fixture('good.yaml'), '--out', out]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('3 passed, 0 failed, 0 skipped');
    const junit = await validateJunit(join(out, 'junit.xml'));
    expect(junit.ok, junit.output).toBe(true);
    const xml = await readFile(join(out, 'junit.xml'), 'utf8');
    expect(xml).toContain('<property name="profileSha256"');
    expect(xml).toContain('classname="good.counter"');
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.interrupted).toBe(false);
    expect(res.summary).toEqual({ passed: 3, failed: 0, skipped: 0, errors: 0, flaky: 0, xfail: 0 });
    expect(res.scenarios.map((s) => s.id)).toEqual(['counter', 'loopback']);
    expect(res.scenarios[0]!.checks[1]!.evidence[0]).toMatchObject({ kind: 'matrix', rows: ['dut'] });
    expect(res.environment.node).toBe(process.version);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('<table class="matrix">');
  });

  it('reports fail, flaky, xfail, unexpected pass, a throw and a hang, and exits 1', async () => {
    const out = await tempOut();
    const r = await cli(['run', fixture('failing.yaml'), '--out', out]);
    expect(r.exitCode, r.all).toBe(1);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    const verdicts = Object.fromEntries(
      res.scenarios.map((s) => [s.id, s.checks.map((c) => `${c.name}:${c.verdict}`)]),
    );
    expect(verdicts).toEqual({
      fails: ['always:pass', 'counter:fail'],
      flaky: ['always:pass', 'counter:flaky'],
      'known-bad': ['always:pass', 'counter:xfail'],
      'unexpected-pass': ['always:pass', 'counter:pass', 'expected failure:fail'],
      throws: ['fixture.throws:error'],
      hangs: ['fixture.hang:error'],
    });
    const reasons = res.scenarios.flatMap((s) => s.checks.map((c) => c.reason));
    expect(reasons).toContain('throws threw EFIXTURE: socket exploded');
    expect(reasons).toContain('hangs timed out after 300ms and did not stop within 1500 ms');
    // The failing check's matrix is printed as a table, mismatch marked.
    expect(r.stdout).toMatch(/dut\s+│ ✓\s+│ — ←/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('7 passed, 4 failed, 0 skipped');
    const junit = await validateJunit(join(out, 'junit.xml'));
    expect(junit.ok, junit.output).toBe(true);
    // The hanging scenario's child process was stopped and reaped.
    expect(childPidsAlive(res)).toEqual([]);
  });

  it('gives file:line:col errors and exit 2 for a bad profile', async () => {
    const r = await cli(['validate', fixture('bad-schema.yaml')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('test/fixtures/profiles/bad-schema.yaml:6:13: scenarios[0].with.port must be ≤ 65535');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(r.stderr.trim().split('\n').at(-1)).toBe('netconform: 7 profile errors');
  });

  it('rejects bad flags with exit 2', async () => {
    expect((await cli(['run', fixture('good.yaml'), '--shard', '5/4'])).exitCode).toBe(2);
    expect((await cli(['run', fixture('good.yaml'), '--grep', '('])).exitCode).toBe(2);
    expect((await cli(['run', '--no-such-flag'])).exitCode).toBe(2);
    expect((await cli(['frobnicate'])).exitCode).toBe(2);
  });

  it('--sut-priority: an unknown level is exit 2; raised without the privilege is refused before anything runs (exit 3)', async () => {
    const bad = await cli(['run', fixture('good.yaml'), '--sut-priority', 'high']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are normal, raised/);
    if (process.getuid?.() !== 0) return;
    const out = await tempOut();
    await chmod(out, 0o777);
    const r = await execa(
      'setpriv',
      [
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        'node',
        bin,
        'run',
        fixture('good.yaml'),
        '--sut-priority',
        'raised',
        '--out',
        join(out, 'r'),
      ],
      { reject: false, all: true, cwd: repoRoot, env: { HOME: out } },
    );
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stderr.trim()).toBe(
      'netconform: --sut-priority raised: setpriority(2) refused a nice value of -10: EACCES (root or CAP_SYS_NICE is needed)',
    );
    expect(r.stdout).toBe('');
  });

  it('--sut-priority raised is recorded in results.json, junit.xml and the HTML report', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip('needs root (CAP_SYS_NICE) to raise a priority');
    const out = await tempOut();
    const r = await cli(['run', fixture('good.yaml'), '--sut-priority', 'raised', '--out', out]);
    expect(r.exitCode, r.all).toBe(0);
    expect((await readJson<RunResult>(join(out, 'results.json'))).environment.sutPriority).toBe('raised');
    expect(await readFile(join(out, 'junit.xml'), 'utf8')).toContain('<property name="sutPriority" value="raised"/>');
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('SUT priority raised');
    const plain = await tempOut();
    expect((await cli(['run', fixture('good.yaml'), '--out', plain])).exitCode).toBe(0);
    expect((await readJson<RunResult>(join(plain, 'results.json'))).environment.sutPriority).toBeUndefined();
  });

  it('prints the plan on --dry-run and runs nothing', async () => {
    const out = await tempOut();
    const r = await cli(['run', fixture('failing.yaml'), '--dry-run', '--shard', '1/2', '--out', out]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('plan of 3 scenarios');
    expect(r.stdout).toContain('failing.yaml › fails  (fixture.counter)');
  });

  it('Ctrl-C mid-run: exit 130, reports marked interrupted, child processes gone', async () => {
    const out = await tempOut();
    const child = cli(['run', fixture('slow.yaml'), '--out', out]);
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('sleeper (fixture.hang)')) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(130);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.interrupted).toBe(true);
    expect(res.scenarios.map((s) => s.id)).toEqual(['first', 'sleeper']);
    expect(res.scenarios[1]!.checks[0]!.verdict).toBe('error');
    expect(await readFile(join(out, 'junit.xml'), 'utf8')).toContain('<property name="interrupted" value="true"/>');
    expect(childPidsAlive(res)).toEqual([]);
  });

  it('runs the default profile with no argument', async () => {
    const out = await tempOut();
    const r = await cli(['run', '--out', out, '--reporter', 'json', '--reporter', 'console']);
    expect(r.exitCode, r.all).toBe(0);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.profiles[0]!.name).toBe('first-run');
    expect(res.summary.failed + res.summary.errors).toBe(0);
    const verdicts = Object.fromEntries(res.scenarios.map((s) => [s.id, s.checks.map((c) => c.verdict)]));
    expect(verdicts['loopback-udp']).toEqual(['pass', 'pass']);
    if (process.getuid?.() === 0 && res.labs.length) {
      // As root on Linux: the lab's real matrices, the unbound-broadcast mistake as an expected failure.
      expect(verdicts['broadcast-reach']!.every((v) => v === 'pass')).toBe(true);
      expect(verdicts['broadcast-unbound-mistake']).toEqual(['xfail']);
      expect(verdicts['multicast-asymmetry']!.every((v) => v === 'pass')).toBe(true);
      expect(r.stdout).toMatch(/lan-a\s+│.*lan-b/); // a passing check's matrix is shown on the first look
    } else {
      expect(r.stderr).toMatch(/netconform: 3 of 4 scenarios were skipped; /);
    }
  });

  it('as an ordinary user, the default profile runs what it can and says in one line how to get the rest', async () => {
    const out = await tempOut();
    await chmod(out, 0o777);
    if (process.getuid?.() !== 0) return; // already covered by the test above
    const r = await execa(
      'setpriv',
      [
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        'node',
        bin,
        'run',
        '--out',
        join(out, 'r'),
        '-r',
        'console',
        '-r',
        'json',
      ],
      { reject: false, all: true, cwd: repoRoot, env: { HOME: out } },
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr.trim()).toBe(
      'netconform: 3 of 4 scenarios were skipped; as root (sudo env "PATH=$PATH" "$PWD/node_modules/.bin/netconform" run; ' +
        'not npx, which leaves root-owned files in ~/.npm) they build a lab of network namespaces',
    );
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 passed, 0 failed, 3 skipped');
    // The skip reason says "needs root" once, with a command that works for a local install too.
    const res = await readJson<RunResult>(join(out, 'r', 'results.json'));
    const reasons = res.scenarios.flatMap((sc) => sc.checks.filter((c) => c.verdict === 'skip').map((c) => c.reason));
    expect(reasons.length).toBe(3);
    for (const reason of reasons) {
      expect(reason.match(/needs? root/g), reason).toHaveLength(1);
      expect(reason).toContain('(sudo env "PATH=$PATH" "$PWD/node_modules/.bin/netconform" run …)');
    }
  });

  it('lists scenarios and shipped profiles; the shipped schema file is current', async () => {
    const list = await cli(['list']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain('preflight.loopback-udp');
    expect(list.stdout).toContain('profiles/smoke.yaml');
    const schema = await cli(['schema']);
    expect(schema.exitCode).toBe(0);
    // The fixture suites are not shipped: compare without them.
    const shipped = await cli(['schema'], { env: { NETCONFORM_EXTRA_SUITES: '' } });
    expect(JSON.parse(shipped.stdout)).toEqual(
      JSON.parse(await readFile(join(repoRoot, 'profiles/netconform.schema.json'), 'utf8')),
    );
  }, 180_000); // three CLI start-ups, each loading every shipped profile, on a loaded 2-core machine
});
