/**
 * A timing-judged scenario's failure must reproduce before it stands (`--confirm-failures`,
 * harness/runner/confirm.ts): seen again it is a `fail`; not seen again it is `flaky` with both
 * attempts' evidence, never a pass and never a fail; a known-bad case keeps its xfail. The
 * scenarios are fakes that say what each attempt measured.
 */
import { describe, expect, it } from 'vitest';
import { check, type Check } from '../harness/model/check.ts';
import { rerunLines } from '../harness/model/results.ts';
import { runScripted, type ScriptOptions } from './helpers/scripted-scenario.ts';

const runWith = (attempts: Array<() => Check[]>, o: ScriptOptions = {}) =>
  runScripted(attempts, { timingJudged: true, ...o });

const ev = (text: string) => [{ kind: 'text' as const, title: 'flows', text }];
const fail = (): Check[] => [
  check.fail('flows', 'no echo at dark wake 3/4', ev('✗ at 3/4')),
  check.pass('other', 'fine'),
];
const pass = (): Check[] => [check.pass('flows', 'every flow echoed', ev('✓ all')), check.pass('other', 'fine')];
const late = (): Check[] => [
  check.late('flows', 'the prober was 120 ms late (bound 50 ms)'),
  check.pass('other', 'fine'),
];

describe('confirming a timing-judged failure', () => {
  it('a failure seen again stands, saying so; the result lists the confirmation', async () => {
    const r = await runWith([fail, fail]);
    expect(r.ran).toBe(2);
    expect(r.checks.map((c) => [c.name, c.verdict])).toEqual([
      ['flows', 'fail'],
      ['other', 'pass'],
    ]);
    expect(r.checks[0]!.reason).toBe('no echo at dark wake 3/4 (seen again in the confirmation: attempt 2)');
    expect(r.confirmations).toEqual([{ attempt: 2, reproduced: ['flows'], notReproduced: [] }]);
    expect(rerunLines(r)).toEqual(['attempt 2 re-ran the failing scenario: confirmed the failure (flows)']);
  });

  it("a failure not seen again is flaky with both attempts' reasons and evidence: never a pass, never a fail", async () => {
    const r = await runWith([fail, pass]);
    const c = r.checks[0]!;
    expect(c.verdict).toBe('flaky');
    expect(c.reason).toBe('failed in attempt 1 (no echo at dark wake 3/4), passed in attempt 2 (every flow echoed)');
    expect(c.evidence.map((e) => e.title)).toEqual(['attempt 1: flows', 'attempt 2: flows']);
    expect(r.confirmations).toEqual([{ attempt: 2, reproduced: [], notReproduced: ['flows'] }]);
  });

  it('a confirmation that could not judge leaves an error naming both; a late confirmation is set aside and re-run first', async () => {
    const unjudged = await runWith([
      fail,
      () => [check.error('flows', 'the SUT did not start'), check.pass('other', 'fine')],
    ]);
    expect(unjudged.checks[0]!.verdict).toBe('error');
    expect(unjudged.checks[0]!.reason).toMatch(
      /^failed in attempt 1 \(no echo at dark wake 3\/4\), and attempt 2 could not confirm it \(error: the SUT did not start\)$/,
    );
    const lateThenFail = await runWith([fail, late, fail]);
    expect(lateThenFail.ran).toBe(3);
    expect(lateThenFail.checks[0]!.verdict).toBe('fail');
    expect(lateThenFail.lateReruns).toEqual([{ attempt: 2, check: 'flows', reason: expect.any(String) }]);
    expect(lateThenFail.confirmations).toEqual([{ attempt: 3, reproduced: ['flows'], notReproduced: [] }]);
  });

  it('--confirm-failures 0, a scenario not judged by timing, and a pass: no confirmation runs', async () => {
    expect((await runWith([fail, pass], { opts: { confirmFailures: 0 } })).ran).toBe(1);
    expect((await runWith([fail, pass], { timingJudged: false })).ran).toBe(1);
    expect((await runWith([pass, fail])).ran).toBe(1);
    const three = await runWith([fail, fail, fail], { opts: { confirmFailures: 2 } });
    expect(three.ran).toBe(3);
    expect(three.checks[0]!.reason).toMatch(/seen again in all 2 confirmations: attempts 2, 3\)$/);
  });

  it('a known-bad case is not re-run: its failure is the expected one either way (xfail)', async () => {
    const r = await runWith([fail, pass], { expectFail: 'stale proxy' });
    expect(r.ran).toBe(1);
    expect(r.checks[0]!.verdict).toBe('xfail');
  });

  it('a confirmation the harness was too late for keeps the lateness cause, the would-be verdict last', async () => {
    const lateConfirm = (): Check[] => [
      check.late(
        'flows',
        'the prober was 120 ms late (bound 50 ms); the SUT is not judged (it would have failed: no echo)',
      ),
      check.pass('other', 'fine'),
    ];
    const r = await runWith([fail, lateConfirm], { opts: { lateReruns: 0 } });
    expect(r.checks[0]).toMatchObject({ verdict: 'error', cause: 'harness-late' });
    expect(r.checks[0]!.reason).toMatch(
      /^attempt 1 failed \(no echo at dark wake 3\/4\); its confirmation, attempt 2: the prober was 120 ms late .*\(it would have failed: no echo\)$/,
    );
  });

  it('a failure retries already saw again needs no confirmation', async () => {
    const r = await runWith([fail, fail], { retries: 1 });
    expect(r.ran).toBe(2);
    expect(r.confirmations).toBeUndefined();
    expect(r.checks[0]!.verdict).toBe('fail');
  });
});
