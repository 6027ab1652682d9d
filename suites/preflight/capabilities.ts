/**
 * preflight.capabilities: what this host can do, one check per capability, with evidence.
 * Nothing here fails the run: a missing capability is a skip whose reason says what is missing.
 */
import { Type, type Static } from '@sinclair/typebox';
import { execa } from 'execa';
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario, type Capability } from '../../harness/model/scenario.ts';

const PROBED: Array<{ cap: Capability; name: string }> = [
  { cap: 'root', name: 'root' },
  { cap: 'netns', name: 'network namespaces' },
  { cap: 'netem', name: 'netem (delay/loss)' },
  { cap: 'tbf', name: 'tbf (rate limit)' },
  { cap: 'ipv6', name: 'IPv6' },
  { cap: 'addon', name: 'native socket addon' },
];

/** Which interface the kernel would use for an IPv4 multicast send (Linux: `ip route get`). */
async function multicastRoute(): Promise<Check> {
  const name = 'multicast route';
  if (process.platform !== 'linux')
    return check.skip(name, `probed with ip route get on Linux only; this is ${process.platform}`);
  const r = await execa('ip', ['-j', 'route', 'get', '239.255.0.1'], { reject: false, timeout: 5000 });
  if (r.exitCode !== 0) {
    return check.skip(
      name,
      `no route for 239.255.0.1: an IPv4 multicast send without IP_MULTICAST_IF fails (ENETUNREACH) here; labs add their own`,
      [{ kind: 'text', title: 'ip route get 239.255.0.1', text: r.stderr || r.stdout }],
    );
  }
  const [route] = JSON.parse(r.stdout) as Array<{ dev?: string; type?: string }>;
  return check.pass(name, `239.255.0.1 routes via ${route?.dev ?? '?'}`, [
    { kind: 'text', title: 'ip route get 239.255.0.1', text: r.stdout },
  ]);
}

/** Nothing to set and nothing to expect: the probes are the host's. */
const Nothing = Type.Object({}, { additionalProperties: false });

export default defineScenario<Static<typeof Nothing>, Static<typeof Nothing>>({
  id: 'preflight.capabilities',
  summary: 'What this host can do: root, namespaces, netem, tbf, IPv6, the addon, a multicast route',
  platforms: ['linux', 'darwin'],
  requires: [],
  withSchema: Nothing,
  expectSchema: Nothing,
  defaultTimeoutMs: 20_000,
  async run(ctx) {
    const checks: Check[] = PROBED.map(({ cap, name }) => {
      const probe = ctx.capabilities[cap];
      return probe.ok ? check.pass(name, probe.reason) : check.skip(name, probe.reason);
    });
    checks.push(await multicastRoute());
    // The whole table rides on the first check, so reports show every probe's reason side by side.
    checks[0]!.evidence = [
      {
        kind: 'numbers',
        title: 'capabilities',
        values: Object.fromEntries(Object.entries(ctx.capabilities).map(([k, v]) => [k, v.ok])),
      },
      {
        kind: 'text',
        title: 'reasons',
        text: Object.entries(ctx.capabilities)
          .map(([k, v]) => `${k}: ${v.reason}`)
          .join('\n'),
      },
    ];
    return checks;
  },
});
