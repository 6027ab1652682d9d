/**
 * The real CLI on runs whose green would mean nothing, on the last-run record and on templates:
 * a run that judged nothing is exit 4 (unless --pass-with-no-tests), as is a profile that judged
 * fewer checks than its minJudged; --last-failed reads `<out>/.last-run.json`, needs no
 * profiles and never wipes the record; an unknown ${variable} is a located exit 2.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/model/results.ts';
import { cli, readJson, repoRoot, tempOut } from './helpers/cli.ts';

const nothing = 'test/fixtures/profiles/judges-nothing.yaml';
const failing = 'test/fixtures/profiles/failing.yaml';

describe('a green that judged nothing', () => {
  it('every check skipped: exit 4 with the reason, before the count line; --pass-with-no-tests: exit 0', async () => {
    const out = await tempOut();
    const r = await cli(['run', nothing, '--out', out, '-r', 'console', '-r', 'json']);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stdout).toMatch(
      /nothing was judged: 1 check skipped — Network framework is macOS-only: .*: exit 4 \(--pass-with-no-tests allows it\)/,
    );
    expect(r.stdout.trim().split('\n').at(-1)).toBe('0 passed, 0 failed, 1 skipped');
    expect((await readJson<RunResult>(join(out, 'results.json'))).unjudged?.[0]).toMatch(/^nothing was judged/);
    const allowed = await cli(['run', nothing, '--out', out, '-r', 'console', '--pass-with-no-tests']);
    expect(allowed.exitCode, allowed.all).toBe(0);
  }, 120_000);

  it('a profile that judged fewer checks than its minJudged: exit 4 naming it', async () => {
    const out = await tempOut();
    const file = join(out, 'min.yaml');
    await writeFile(file, 'profile: min\nminJudged: 5\nscenarios:\n  - id: one\n    use: fixture.counter\n');
    const r = await cli(['run', file, '--out', out, '-r', 'console']);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stdout).toMatch(/profile min judged 2 checks, fewer than its minJudged 5/);
  }, 120_000);
});

describe('--last-failed', () => {
  it('with nothing recorded: exit 2 saying so; after a run: only its failures, from its profiles, and the record stays', async () => {
    const out = await tempOut();
    const none = await cli(['run', '--last-failed', '--out', out]);
    expect(none.exitCode, none.all).toBe(2);
    expect(none.stderr).toMatch(/--last-failed: no last run is recorded in .*\.last-run\.json: run the profiles once/);
    const first = await cli(['run', failing, '--out', out, '-r', 'json']);
    expect(first.exitCode).toBe(1);
    const record = JSON.parse(await readFile(join(out, '.last-run.json'), 'utf8')) as {
      profiles: string[];
      failed: string[];
    };
    expect(record.profiles).toEqual([join(repoRoot, failing)]);
    expect(record.failed.sort()).toEqual([
      'failing/fails',
      'failing/hangs',
      'failing/throws',
      'failing/unexpected-pass',
    ]);
    // No profile given: the recorded ones; only the failed scenarios run.
    const again = await cli(['run', '--last-failed', '--out', out, '-r', 'json']);
    expect(again.exitCode, again.all).toBe(1);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.scenarios.map((s) => s.id).sort()).toEqual(['fails', 'hangs', 'throws', 'unexpected-pass']);
    expect(res.profiles.map((p) => p.name)).toEqual(['failing']);
    const kept = JSON.parse(await readFile(join(out, '.last-run.json'), 'utf8')) as { profiles: string[] };
    expect(kept.profiles).toEqual([join(repoRoot, failing)]);
  }, 240_000);
});

describe('templates', () => {
  it('an unknown ${variable} is refused at validate with file:line:col; $${ passes a literal ${', async () => {
    const out = await tempOut();
    const file = join(out, 'vars.yaml');
    const lab =
      'lab:\n  segments: { a: {} }\n  hosts:\n    h: { links: [{ segment: a }] }\n    p: { links: [{ segment: a }] }\n';
    await writeFile(
      file,
      `profile: vars\n${lab}scenarios:\n  - id: r\n    use: discovery.reach\n    sut: { host: h, command: [x, "\${group}"] }\n`,
    );
    const r = await cli(['validate', file]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(
      /vars\.yaml:10:34: scenarios\[0\]\.sut\.command\[1\]: unknown variable \$\{group\}: discovery\.reach provides \$\{port\}, \$\{timeoutMs\}; \$\{group\} only with with\.group/,
    );
    await writeFile(
      file,
      `profile: vars\n${lab}scenarios:\n  - id: r\n    use: discovery.reach\n    sut: { host: h, command: [sh, -c, "echo $\${HOME}"] }\n`,
    );
    expect((await cli(['validate', file])).exitCode).toBe(0);
  }, 120_000);
});
