/**
 * lnp.sut-detects-denial: macOS never asks twice — once local network access is denied the app
 * has to notice and tell the user (Apple TN3179). The SUT runs in its lab host under `denied`
 * (sends fail with EHOSTUNREACH) and, as a second check, `silent` (sends say yes, nothing
 * leaves); within `withinMs` it must report it — a stdout line matching `expect.reportPattern`
 * or an exit code from `expect.exitCodes` — and must not claim success before that. Responders
 * on every segment (as in discovery.reach) witness that nothing got out.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import type { LocalNetworkPolicy } from '../../harness/lab/types.ts';
import { heardEvidence } from '../lib/discovery/evidence.ts';
import { startResponders } from '../lib/discovery/responders.ts';
import { missingSut, startSutIn, sutHostName } from '../lib/discovery/sut.ts';
import { waitUntil } from '../lib/net/timing.ts';
import { findReport, regex, tail, withPolicy, type TimedLine } from './lib/sut-watch.ts';

const With = Type.Object({
  host: Type.Optional(Type.String({ description: 'lab host for the SUT when sut.host is not set (default: the one with most links)' })),
  policies: Type.Array(Type.Union([Type.Literal('denied'), Type.Literal('silent')], { description: 'a policy: denied or silent' }), { uniqueItems: true, minItems: 1, default: ['denied', 'silent'], description: 'policies to run the SUT under, one check each (denied = EHOSTUNREACH; silent = sends say yes, nothing leaves)' }),
  withinMs: Type.Integer({ minimum: 100, maximum: 120000, default: 5000, description: 'time from the SUT start to its report' }),
  port: Type.Integer({ minimum: 1024, maximum: 65535, default: 47880, description: 'discovery port the responders listen on (${port} in the SUT command)' }),
}, { additionalProperties: false });
type With = Static<typeof With>;

const Expect = Type.Object({
  reportPattern: Type.String({ default: 'local network access denied', description: 'regex (case-insensitive) a stdout line must match to count as telling the user' }),
  exitCodes: Type.Array(Type.Integer({ minimum: 0, maximum: 255, description: 'an exit code' }), { default: [], description: 'exit codes that also count as reporting the denial' }),
  successPattern: Type.String({ default: '^found ', description: 'regex (case-insensitive) of a stdout line that claims success; any before the report fails the check' }),
}, { additionalProperties: false });
type Expect = Static<typeof Expect>;

export default defineScenario<With, Expect>({
  id: 'lnp.sut-detects-denial',
  summary: 'under a denied (and a silent) local network policy the SUT must tell the user within withinMs, and must not claim success',
  platforms: ['linux'],
  requires: ['addon', 'lab', 'sut', 'lnp'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 60_000,
  async run(ctx, { with: p, expect: e }, signal) {
    const missing = missingSut(ctx, 'lnp.sut-detects-denial');
    if (missing) return [check.error('lnp.sut-detects-denial', missing)];
    let report: RegExp, success: RegExp;
    try {
      report = regex(e.reportPattern, 'expect.reportPattern');
      success = regex(e.successPattern, 'expect.successPattern');
    } catch (err) {
      return [check.error('lnp.sut-detects-denial', (err as Error).message)];
    }
    const lab = ctx.lab!;
    const hostName = sutHostName(ctx, lab, p.host);
    const segments = lab.host(hostName).interfaces().map((i) => i.segment);
    const resp = startResponders(ctx, lab, hostName, segments, { port: p.port, reply: true });
    const checks: Check[] = [];
    for (const policy of p.policies as LocalNetworkPolicy[]) {
      const name = `SUT reports the denial (localNetwork: ${policy})`;
      await withPolicy(ctx, lab, hostName, policy);
      const heardBefore = resp.heard.length;
      const t0 = ctx.elapsedMs();
      const sut = await startSutIn(ctx, hostName, { port: String(p.port), group: '', timeoutMs: String(p.withinMs) });
      const lines: TimedLine[] = [];
      let seen = 0;
      const collect = (): void => {
        for (; seen < sut.process.output.length; seen++) {
          const l = sut.process.output[seen]!;
          if (l.startsWith('[stdout] ')) lines.push({ t: ctx.elapsedMs() - t0, line: l.slice(9) });
        }
      };
      let exit: { t: number; e: { code: number | null; signal: string | null } } | undefined;
      void sut.process.exited.then((x) => { exit = { t: ctx.elapsedMs() - t0, e: x }; });
      await waitUntil(() => { collect(); return findReport(lines, exit, report, success, e.exitCodes).reportedAfterMs !== undefined || !sut.process.running(); }, p.withinMs, signal);
      await new Promise((r) => setTimeout(r, 50));
      collect();
      const r = findReport(lines, exit, report, success, e.exitCodes);
      const exitedOnItsOwn = exit; // before stop(): our SIGTERM is not the SUT's doing
      await sut.stop();
      const leaked = resp.heard.slice(heardBefore);
      const ev = [
        { kind: 'text' as const, title: `SUT output under ${policy} (first 40 lines)`, text: lines.slice(0, 40).map((l) => `+${Math.round(l.t)}ms ${l.line}`).join('\n') || '(no output)' },
        heardEvidence(leaked),
      ];
      if (leaked.length) {
        checks.push(check.error(name, `the emulation leaked: responders heard ${leaked.length} datagram(s) from the SUT under ${policy} (expected none to leave ${hostName})`, ev));
      } else if (r.reportedAfterMs === undefined || r.reportedAfterMs > p.withinMs) {
        const how = policy === 'denied' ? 'its sends failed with EHOSTUNREACH' : 'its sends said yes and nothing left the host';
        const claim = r.claimed ? ` and claimed success ("${r.claimed.slice(0, 120)}")` : '';
        const exited = exitedOnItsOwn ? `; it ${exitedOnItsOwn.e.signal ? `was killed by ${exitedOnItsOwn.e.signal}` : `exited with code ${exitedOnItsOwn.e.code}`}` : '; it kept running, retrying in silence';
        checks.push(check.fail(name, `the SUT never told the user within ${p.withinMs} ms although ${how}${claim}${exited}; no line matched /${e.reportPattern}/${e.exitCodes.length ? ` and no exit code in [${e.exitCodes.join(', ')}]` : ''}; it printed: ${tail(sut.process.output)}`, ev));
      } else if (r.claimed) {
        checks.push(check.fail(name, `the SUT claimed success ("${r.claimed.slice(0, 120)}") under ${policy} before it reported the denial (${r.how} at +${Math.round(r.reportedAfterMs)} ms)`, ev));
      } else {
        checks.push(check.pass(name, `the SUT ${r.how} at +${Math.round(r.reportedAfterMs)} ms (within ${p.withinMs} ms) and claimed no success; nothing left ${hostName}`, ev));
      }
    }
    return checks;
  },
});
