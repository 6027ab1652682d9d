/**
 * --capture in a lab run: a failing scenario keeps one pcap per segment holding the datagrams
 * it sent (read back with tcpdump -r), a passing one keeps none with on-failure and one per
 * segment with always, off captures nothing; the files are linked from results.json, JUnit
 * ([[ATTACHMENT|…]]) and report.html; no tcpdump of this run is left running.
 */
import { execa } from 'execa';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/model/results.ts';
import { cli, readJson, tempOut } from './helpers/cli.ts';
import { labNeeds, requires, tcpdump } from './helpers/requires.ts';

const need = requires(labNeeds, tcpdump);
const PROFILE = 'test/fixtures/profiles/capture.yaml';

/** tcpdump processes whose command line names `dir` (only this test's own runs). */
async function tcpdumpsWriting(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('tcpdump\0') && cmd.includes(dir)) pids.push(Number(p));
  }
  return pids;
}

async function packets(file: string): Promise<string[]> {
  const r = await execa('tcpdump', ['-n', '-r', file], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!need.ok)(need.title('--capture in a lab run (root, tcpdump)'), () => {
  it('on-failure: the failing scenario keeps a pcap per segment with its datagrams; the passing one keeps none', async () => {
    const out = await tempOut();
    const r = await cli(['run', PROFILE, '--out', out, '-r', 'json', '-r', 'junit', '-r', 'html']);
    expect(r.exitCode, r.all).toBe(1);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    const failing = res.scenarios.find((s) => s.id === 'reach-all-unbound')!;
    const passing = res.scenarios.find((s) => s.id === 'reach')!;
    expect(failing.checks.some((c) => c.verdict === 'fail')).toBe(true);
    expect(passing.checks.every((c) => c.verdict === 'pass')).toBe(true);
    expect(failing.captures?.map((c) => c.segment).sort()).toEqual(['lan-a', 'lan-b']);
    expect(passing.captures).toBeUndefined();
    await expect(stat(join(out, 'captures/capture/reach'))).rejects.toMatchObject({ code: 'ENOENT' });

    // The fault, in the packets: the unbound all-hosts broadcasts crossed lan-a only.
    const byName = Object.fromEntries(failing.captures!.map((c) => [c.segment, join(out, c.path)]));
    const toAllHosts = (lines: string[]) =>
      lines.filter((l) => /IP 198\.18\.\d+\.\d+\.\d+ > 255\.255\.255\.255\.\d+: UDP/.test(l));
    // Its own record of what arrived (every datagram evidence) must match what the capture saw.
    const arrivalsA = failing.checks
      .flatMap((c) => c.evidence)
      .flatMap((e) => (e.kind === 'text' ? e.text.split('\n') : []))
      .filter((l) => /^unbound #\d+ → /.test(l.trim()));
    expect(arrivalsA.length).toBeGreaterThan(0);
    expect(toAllHosts(await packets(byName['lan-a']!)).length).toBe(arrivalsA.length);
    expect(toAllHosts(await packets(byName['lan-b']!))).toEqual([]);

    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    for (const c of failing.captures!) expect(junit).toContain(`${c.path}]]`);
    expect(junit).toMatch(/\[\[ATTACHMENT\|[^\]]+attempt-1-lan-a\.pcap\]\]/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    for (const c of failing.captures!) expect(html).toContain(`href="${c.path}"`);
    expect(await tcpdumpsWriting(out)).toEqual([]);
  }, 150_000);

  it("always keeps the passing scenario's captures; off captures nothing", async () => {
    const always = await tempOut();
    const r1 = await cli(['run', PROFILE, '--grep', '^reach$', '--out', always, '-r', 'json', '--capture', 'always']);
    expect(r1.exitCode, r1.all).toBe(0);
    const kept = (await readJson<RunResult>(join(always, 'results.json'))).scenarios[0]!.captures ?? [];
    expect(kept.map((c) => c.segment).sort()).toEqual(['lan-a', 'lan-b']);
    for (const c of kept) expect((await packets(join(always, c.path))).length).toBeGreaterThan(0);

    const off = await tempOut();
    const r2 = await cli([
      'run',
      PROFILE,
      '--grep',
      '^reach-all-unbound$',
      '--out',
      off,
      '-r',
      'json',
      '--capture',
      'off',
    ]);
    expect(r2.exitCode, r2.all).toBe(1);
    expect((await readJson<RunResult>(join(off, 'results.json'))).scenarios[0]!.captures).toBeUndefined();
    await expect(stat(join(off, 'captures'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect([...(await tcpdumpsWriting(always)), ...(await tcpdumpsWriting(off))]).toEqual([]);
  }, 150_000);
});
