/**
 * lnp.probe: what the OS lets a process do on the local network — the matrix {unicast,
 * broadcast, multicast v4, multicast v6} × {send, receive} → allowed / denied (errno) /
 * silently dropped (the send said yes, the peer saw nothing).
 *
 * In a lab: one check per host, the probe agent running as one of that host's own programs
 * under its `localNetwork` policy, a peer on the same segment watching and sending back.
 * In host mode: the real OS decides; one check per launch context (the harness's child, a
 * LaunchAgent through launchctl, root through sudo — the latter two only on macOS; Apple
 * TN3179 "Understanding local network privacy": permission belongs to the responsible process).
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario, type ScenarioContext } from '../../harness/model/scenario.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { describePattern, outcomeMatrix, outcomes, sendMatches, type PolicyName } from './lib/outcome.ts';
import { LAUNCH_CONTEXTS, launchContexts } from './lib/launch-context.ts';
import { hostInterface, hostPlan } from './lib/probe-host.ts';
import { probeLabHost } from './lib/probe-lab.ts';
import { TRAFFIC_KINDS } from './lib/plan.ts';

const With = Type.Object(
  {
    hosts: Type.Optional(
      Type.Array(Type.String({ description: 'a lab host' }), {
        uniqueItems: true,
        minItems: 1,
        description: 'lab hosts to probe (default: every host that shares a segment with another host)',
      }),
    ),
    segment: Type.Optional(
      Type.String({ description: "segment to probe on (default: the host's first segment that has another host)" }),
    ),
    contexts: Type.Array(
      Type.Union(
        LAUNCH_CONTEXTS.map((c) => Type.Literal(c)),
        { description: `a launch context: ${LAUNCH_CONTEXTS.join(', ')}` },
      ),
      {
        uniqueItems: true,
        minItems: 1,
        default: [...LAUNCH_CONTEXTS],
        description:
          'host mode: launch contexts to probe from (harness = a child of the harness; launchagent = launchctl gui/<uid>; sudo = root via sudo -n); launchagent and sudo are macOS only and skipped elsewhere',
      },
    ),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65531,
      default: 47870,
      description: 'first of four UDP ports (unicast, broadcast, multicast v4, multicast v6)',
    }),
    count: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'datagrams per kind and direction' }),
    receiveMs: Type.Integer({
      minimum: 100,
      maximum: 30000,
      default: 1500,
      description: 'how long the probe listens after sending',
    }),
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    send: Type.Union(
      [
        Type.Literal('policy'),
        Type.Literal('allowed'),
        Type.Literal('denied'),
        Type.Literal('silent'),
        Type.Literal('any'),
      ],
      {
        default: 'policy',
        description:
          "what sends must do: policy = the lab host's localNetwork (allowed in host mode); allowed; denied (EHOSTUNREACH, as macOS); silent (say yes, nothing arrives); any = report only",
      },
    ),
    receive: Type.Union([Type.Literal('works'), Type.Literal('any')], {
      default: 'works',
      description: 'receiving must work (as on macOS under every policy), or any = report only',
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

const MACOS_HINT =
  'grant it in System Settings › Privacy & Security › Local Network, or run it as root — on macos-15 runners run with sudo (actions/runner-images#10924)';

function labHostsToProbe(
  lab: Lab,
  p: With,
): { pairs: Array<{ host: string; segment: string; peer: string }>; errors: string[]; skipped: string[] } {
  const errors: string[] = [];
  const skipped: string[] = [];
  const pairs: Array<{ host: string; segment: string; peer: string }> = [];
  const names = p.hosts ?? lab.hosts.map((h) => h.name);
  for (const name of names) {
    if (!lab.hosts.some((h) => h.name === name)) {
      errors.push(`with.hosts names ${name}, not a lab host (hosts: ${lab.hosts.map((h) => h.name).join(', ')})`);
      continue;
    }
    const segs = lab
      .host(name)
      .interfaces()
      .map((i) => i.segment)
      .filter((s) => !p.segment || s === p.segment);
    const seg = segs.find((s) => lab.segment(s).members.some((m) => m !== name));
    if (!seg) {
      (p.hosts ? errors : skipped).push(
        `${name} has no ${p.segment ? `link on ${p.segment} with` : 'segment with'} another host to watch its traffic`,
      );
      continue;
    }
    // Prefer a watcher that is not itself probed (any host works: the peer's sockets are the harness's).
    const others = lab.segment(seg).members.filter((m) => m !== name);
    pairs.push({ host: name, segment: seg, peer: others.find((m) => !names.includes(m)) ?? others[0]! });
  }
  return { pairs, errors, skipped };
}

async function runLab(ctx: ScenarioContext, lab: Lab, p: With, e: Expect, signal: AbortSignal): Promise<Check[]> {
  const { pairs, errors } = labHostsToProbe(lab, p);
  if (errors.length) return [check.error('lnp.probe', errors.join('; '))];
  if (pairs.length === 0)
    return [check.skip('local network probe', 'no lab host shares a segment with another host: add a peer host')];
  const checks: Check[] = [];
  // One host at a time: their ports are the same, and the segment witness stays readable.
  for (const pair of pairs) {
    const policy = lab.host(pair.host).localNetwork();
    const want: PolicyName | 'any' = e.send === 'policy' ? policy : e.send;
    const name = `local network from ${pair.host} (localNetwork: ${policy})`;
    const r = await probeLabHost(ctx, lab, { ...pair, port: p.port, count: p.count, receiveMs: p.receiveMs }, signal);
    const os = outcomes(
      r.events,
      r.peerSaw,
      r.events.find((x) => x.event === 'listening')?.event === 'listening' ? TRAFFIC_KINDS : [],
    );
    const matrix = outcomeMatrix(
      `${pair.host} on ${pair.segment} (peer ${pair.peer}, token ${r.token})`,
      os,
      want,
      e.receive === 'works',
    );
    const ev = [
      matrix,
      {
        kind: 'text' as const,
        title: 'probe agent',
        text: [`exit: ${r.exit}`, ...r.events.map((x) => JSON.stringify(x)), ...r.output].join('\n'),
      },
    ];
    if (!r.events.some((x) => x.event === 'done')) {
      checks.push(
        check.error(
          name,
          `the probe agent in ${pair.host} did not finish (${r.exit})${r.output.length ? `; it printed: ${r.output.slice(-3).join(' | ')}` : ''}`,
          ev,
        ),
      );
      continue;
    }
    const pattern = describePattern(os, `${pair.host}'s programs (localNetwork: ${policy})`, '');
    const badSend = os.filter((o) => !sendMatches(o, want));
    const badRecv = e.receive === 'works' ? os.filter((o) => o.receive !== 'works') : [];
    if (badSend.length || badRecv.length) {
      const expected = want === 'denied' ? 'denied with EHOSTUNREACH' : want === 'silent' ? 'silently dropped' : want;
      checks.push(
        check.fail(
          name,
          `expected sends ${expected}${e.receive === 'works' ? ' and receiving to work' : ''}, got: ${pattern}`,
          ev,
        ),
      );
    } else checks.push(check.pass(name, pattern, ev));
  }
  return checks;
}

async function runHost(ctx: ScenarioContext, p: With, e: Expect, signal: AbortSignal): Promise<Check[]> {
  const iface = await hostInterface();
  if (!iface)
    return [check.skip('local network probe', 'this host has no up interface with an IPv4 address to probe on')];
  const contexts = await launchContexts();
  const checks: Check[] = [];
  const want: PolicyName | 'any' = e.send === 'policy' ? 'allowed' : e.send;
  for (const c of p.contexts) {
    const name = `local network from the ${c === 'harness' ? "harness's process" : c === 'launchagent' ? 'LaunchAgent' : 'sudo (root)'} context`;
    const plan = hostPlan(iface, p.port, p.count, ctx.allowHostNetwork);
    const r = await contexts.run(c, plan, 15_000 + p.count * 500, signal);
    if (r.skipped) {
      checks.push(check.skip(name, r.skipped));
      continue;
    }
    const os = outcomes(r.events, undefined, []);
    const matrix = outcomeMatrix(`${c}: ${r.detail}, via ${iface.name}`, os, want, false);
    const ev = [
      matrix,
      {
        kind: 'text' as const,
        title: `probe agent (${c})`,
        text: [...r.events.map((x) => JSON.stringify(x)), ...r.output].join('\n') || '(no output)',
      },
    ];
    if (!r.events.some((x) => x.event === 'done')) {
      checks.push(
        check.error(
          name,
          `the probe agent (${c}) did not finish${r.output.length ? `; it printed: ${r.output.slice(-3).join(' | ')}` : ''}`,
          ev,
        ),
      );
      continue;
    }
    const pattern = describePattern(os, `this process (${r.detail})`, process.platform === 'darwin' ? MACOS_HINT : '');
    const bad = os.filter((o) => !sendMatches(o, want));
    checks.push(
      bad.length
        ? check.fail(name, pattern, ev)
        : check.pass(name, `${pattern} (no peer on a real network confirms arrival or tests receiving)`, ev),
    );
  }
  ctx.log(`lnp.probe host mode on ${iface.name} (${iface.ipv4?.address})`);
  return checks;
}

export default defineScenario<With, Expect>({
  id: 'lnp.probe',
  summary:
    'local network privacy matrix: unicast, broadcast, multicast v4/v6 × send/receive → allowed / denied (errno) / silently dropped, per lab host policy or macOS launch context',
  platforms: ['linux', 'darwin'],
  requires: ['addon'],
  sendsOnHostNetwork: true,
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 60_000,
  async run(ctx, { with: p, expect: e }, signal) {
    return ctx.lab ? runLab(ctx, ctx.lab, p, e, signal) : runHost(ctx, p, e, signal);
  },
});
