/**
 * The real CLI on selection and bad flags: a --grep/--tag that selects
 * nothing is exit 2 unless --pass-with-no-tests; an empty shard is exit 0 and says so; a
 * --timeout past the longest timer is exit 2 naming the maximum.
 */
import { describe, expect, it } from 'vitest';
import { cli, tempOut } from './helpers/cli.ts';

const good = 'test/fixtures/profiles/good.yaml';

describe('selection that matches nothing, and flags out of range', () => {
  it('--grep that matches nothing: exit 2 naming the filter and the profile; --pass-with-no-tests: exit 0', async () => {
    const out = await tempOut();
    const r = await cli(['run', good, '--grep', 'no-such-id', '--out', out]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain(
      "netconform: no scenario matched --grep 'no-such-id' in test/fixtures/profiles/good.yaml (good) (2 scenarios); --pass-with-no-tests allows an empty selection",
    );
    const tag = await cli(['run', good, '--tag', 'nope', '--dry-run']);
    expect(tag.exitCode).toBe(2);
    expect(tag.stderr).toMatch(/no scenario matched --tag 'nope' in test\/fixtures\/profiles\/good.yaml/);
    const allowed = await cli(['run', good, '--grep', 'no-such-id', '--pass-with-no-tests', '--out', out]);
    expect(allowed.exitCode, allowed.all).toBe(0);
    expect(allowed.stdout).toContain(
      "no scenario matched --grep 'no-such-id' in test/fixtures/profiles/good.yaml (good) (2 scenarios); nothing to run (--pass-with-no-tests)",
    );
  }, 240_000); // three CLI runs: tsx start-up is slow on a loaded 2-core machine

  it('an empty shard exits 0 and names the profile', async () => {
    const out = await tempOut();
    const r = await cli(['run', good, '--shard', '3/3', '--out', out]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(
      'netconform: shard 3/3 is empty: test/fixtures/profiles/good.yaml (good) has 2 selected scenarios, all in shards 1–2; nothing to run',
    );
  });

  it('--timeout past 2^31 - 1 ms is a usage error naming the maximum', async () => {
    const r = await cli(['run', good, '--timeout', '600h', '--dry-run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      'netconform: --timeout: "600h" is longer than the maximum duration, 2147483647 ms (about 596h31m)',
    );
    expect(r.stderr).not.toMatch(/Warning/);
  });
});
