/**
 * The send-safety rule (harness/net/safety.ts) at every boundary, table-driven. Each row says
 * what happens from each place a socket can be: a lab host, this host bound to loopback, this
 * host, and this host with --allow-host-network. Range membership is cross-checked against
 * node:net BlockList, an independent implementation of the same CIDR arithmetic.
 */
import { BlockList } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  assertSafeBindAddress,
  assertSafeDestination,
  GROUP4_PATTERN,
  GROUP6_PATTERN,
  isLabAddress,
  isSafeDestination,
  parseAddress,
  UnsafeDestinationError,
  type SendFrom,
} from '../harness/net/safety.ts';
import { parseEventLine } from '../suites/lib/tunnel/events.ts';
import { formatIssue, loadProfile, ProfileError } from '../harness/loader/profile.ts';
import { loadRegistry } from '../harness/runner/registry.ts';
import { tempDir } from './helpers/tmp.ts';

const FROM: Record<'lab' | 'lo' | 'host' | 'allowed', SendFrom> = {
  lab: { where: 'lab' },
  lo: { where: 'loopback' },
  host: { where: 'host', allowHostNetwork: false },
  allowed: { where: 'host', allowHostNetwork: true },
};

const Y = 'ok';
const N = 'ERR_UNSAFE_DESTINATION';
const X = 'ERR_INVALID_DESTINATION';
type Out = typeof Y | typeof N | typeof X;

/** [address, lab, loopback, host, host + --allow-host-network] */
const TABLE: Array<[string, Out, Out, Out, Out]> = [
  // 198.18.0.0/15 edges (RFC 2544)
  ['198.17.255.255', N, N, N, N],
  ['198.18.0.0', Y, Y, Y, Y],
  ['198.18.1.255', Y, Y, Y, Y], // a directed broadcast inside the lab
  ['198.19.255.255', Y, Y, Y, Y], // the last address, also a directed broadcast
  ['198.20.0.0', N, N, N, N],
  // 127.0.0.0/8 edges
  ['126.255.255.255', N, N, N, N],
  ['127.0.0.0', Y, Y, Y, Y],
  ['127.0.0.1', Y, Y, Y, Y],
  ['127.255.255.255', Y, Y, Y, Y],
  ['128.0.0.0', N, N, N, N],
  // 2001:2::/48 edges (RFC 5180)
  ['2001:1:ffff:ffff:ffff:ffff:ffff:ffff', N, N, N, N],
  ['2001:2::', Y, Y, Y, Y],
  ['2001:0002:0000:0001::5', Y, Y, Y, Y],
  ['2001:2:0:ffff:ffff:ffff:ffff:ffff', Y, Y, Y, Y],
  ['2001:2:1::', N, N, N, N],
  ['2001:2:1::5', N, N, N, N],
  ['2001:2:ffff::1', N, N, N, N],
  ['2001:3::1', N, N, N, N],
  ['2001:db8::1', N, N, N, N],
  // loopback and unspecified
  ['::1', Y, Y, Y, Y],
  ['::', N, N, N, N],
  ['0.0.0.0', N, N, N, N],
  ['::2', N, N, N, N],
  // IPv4-mapped IPv6 is judged as the IPv4 address
  ['::ffff:198.18.0.1', Y, Y, Y, Y],
  ['::ffff:c612:1', Y, Y, Y, Y],
  ['::ffff:127.0.0.1', Y, Y, Y, Y],
  ['::ffff:10.0.0.1', N, N, N, N],
  ['::ffff:198.20.0.1', N, N, N, N],
  ['::ffff:255.255.255.255', Y, Y, N, Y],
  // link-local unicast
  ['fe80::1', Y, N, N, Y],
  ['fe80::1%eth0', Y, N, N, Y],
  ['fe80::1%3', Y, N, N, Y],
  ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', Y, N, N, Y],
  ['fec0::1', N, N, N, N], // deprecated site-local, just past fe80::/10
  ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', N, N, N, N],
  ['fe80::1%', X, X, X, X],
  ['fe80::1%a b', X, X, X, X],
  ['2001:2::1%eth0', X, X, X, X], // a zone on a global address
  ['198.18.0.1%eth0', X, X, X, X],
  ['169.253.255.255', N, N, N, N],
  ['169.254.0.0', Y, N, N, Y],
  ['169.254.255.255', Y, N, N, Y],
  ['169.255.0.0', N, N, N, N],
  // IPv4 multicast: only 224.0.0.0/24 and 239.0.0.0/8, and only in a lab (or with the flag)
  ['223.255.255.255', N, N, N, N],
  ['224.0.0.0', Y, N, N, Y],
  ['224.0.0.251', Y, N, N, Y],
  ['224.0.0.255', Y, N, N, Y],
  ['224.0.1.0', N, N, N, N],
  ['232.1.1.1', N, N, N, N],
  ['238.255.255.255', N, N, N, N],
  ['239.0.0.0', Y, N, N, Y],
  ['239.255.0.1', Y, N, N, Y],
  ['239.255.255.255', Y, N, N, Y],
  ['240.0.0.0', N, N, N, N],
  // IPv6 multicast scopes (RFC 4291 §2.7): 1 anywhere, 2–5 in a lab, the rest never
  ['ff01::1', Y, Y, Y, Y],
  ['ff01::1%lo', Y, Y, Y, Y],
  ['ff02::1', Y, N, N, Y],
  ['ff02::fb%eth0', Y, N, N, Y],
  ['ff12::114', Y, N, N, Y], // transient flag, link-local scope
  ['ff03::1', Y, N, N, Y],
  ['ff04::1', Y, N, N, Y],
  ['ff05::114', Y, N, N, Y],
  ['ff05::114%eth0', X, X, X, X], // a site-scope group takes no zone
  ['ff00::1', N, N, N, N], // reserved scope 0
  ['ff06::1', N, N, N, N],
  ['ff08::1', N, N, N, N],
  ['ff0e::1', N, N, N, N],
  ['ff3e::8000:1', N, N, N, N],
  ['ff0f::1', N, N, N, N],
  // broadcast
  ['255.255.255.255', Y, Y, N, Y],
  ['255.255.255.254', N, N, N, N],
  ['10.255.255.255', N, N, N, N], // a directed broadcast outside the lab
  ['192.168.1.255', N, N, N, N],
  // private and other ranges
  ['10.0.0.0', N, N, N, N],
  ['10.255.255.254', N, N, N, N],
  ['172.15.255.255', N, N, N, N],
  ['172.16.0.0', N, N, N, N],
  ['172.31.255.255', N, N, N, N],
  ['172.32.0.0', N, N, N, N],
  ['192.168.0.1', N, N, N, N],
  ['100.64.0.1', N, N, N, N],
  ['8.8.8.8', N, N, N, N],
  ['fd00::1', N, N, N, N],
  ['2606:4700::1111', N, N, N, N],
  ['::198.18.0.1', N, N, N, N], // deprecated IPv4-compatible form is not a mapped address
  ['64:ff9b::c612:1', N, N, N, N], // NAT64 of a lab address is translated onto a real network
  // hostnames and garbage
  ['localhost', X, X, X, X],
  ['example.com', X, X, X, X],
  ['lab-host.local', X, X, X, X],
  ['', X, X, X, X],
  [' 127.0.0.1', X, X, X, X],
  ['127.0.0.1 ', X, X, X, X],
  ['127.1', X, X, X, X],
  ['127.0.0.01', X, X, X, X],
  ['198.18.0.256', X, X, X, X],
  ['198.18.0.1/24', X, X, X, X],
  ['198.18.0.1:80', X, X, X, X],
  ['[::1]', X, X, X, X],
  ['2001:2::1::2', X, X, X, X],
  ['::ffff:1.2.3.4%eth0', X, X, X, X],
  ['\u001b[31m127.0.0.1', X, X, X, X],
];

function outcome(address: string, from: SendFrom): Out {
  try {
    assertSafeDestination(address, from);
    return Y;
  } catch (err) {
    expect(err).toBeInstanceOf(UnsafeDestinationError);
    return (err as UnsafeDestinationError).code;
  }
}

describe('assertSafeDestination: every boundary, from every place', () => {
  it.each(TABLE)('%s → lab %s, loopback %s, host %s, host+flag %s', (address, lab, lo, host, allowed) => {
    expect({
      lab: outcome(address, FROM.lab),
      lo: outcome(address, FROM.lo),
      host: outcome(address, FROM.host),
      allowed: outcome(address, FROM.allowed),
    }).toEqual({ lab, lo, host, allowed });
  });

  it('the error names the address, what it is and the rule; garbage is escaped', () => {
    const e = (a: string, f: SendFrom = FROM.lab) => {
      try {
        assertSafeDestination(a, f);
      } catch (err) {
        return err as UnsafeDestinationError;
      }
      throw new Error(`${a} was accepted`);
    };
    expect(e('10.0.0.1').message).toMatch(
      /^refusing to send to 10\.0\.0\.1: a private range \(10\.0\.0\.0\/8, RFC 1918\)/,
    );
    expect(e('2001:2:1::5').message).toContain('outside 2001:2::/48');
    expect(e('ff0e::1').message).toContain('global multicast');
    expect(e('example.com').message).toContain('a hostname');
    expect(e('239.255.0.1', FROM.host).message).toContain('without --allow-host-network');
    expect(e('\u001b[31mx').message).not.toContain('\u001b');
    expect(e('\u001b[31mx').address).toBe('\u001b[31mx');
    expect(() => assertSafeDestination(42 as unknown as string, FROM.lab)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_DESTINATION' }),
    );
  });

  it('says what kind of destination it let through', () => {
    expect(assertSafeDestination('198.18.1.255', FROM.host)).toBe('lab');
    expect(assertSafeDestination('::ffff:127.0.0.1', FROM.host)).toBe('loopback');
    expect(assertSafeDestination('255.255.255.255', FROM.lo)).toBe('limited broadcast');
    expect(assertSafeDestination('ff02::1%eth0', FROM.lab)).toBe('scoped multicast');
    expect(assertSafeDestination('ff01::1', FROM.host)).toBe('interface-local multicast');
    expect(assertSafeDestination('fe80::1%2', FROM.lab)).toBe('link-local');
    expect(isSafeDestination('8.8.8.8', FROM.allowed)).toBe(false);
  });
});

describe('range arithmetic agrees with node:net BlockList', () => {
  const v4 = new BlockList();
  v4.addSubnet('198.18.0.0', 15, 'ipv4');
  const v6 = new BlockList();
  v6.addSubnet('2001:2::', 48, 'ipv6');
  for (const [address] of TABLE) {
    let family: 4 | 6;
    try {
      family = parseAddress(address).family;
    } catch {
      continue;
    }
    it(`isLabAddress(${JSON.stringify(address)})`, () => {
      // BlockList matches IPv4 rules against IPv4-mapped IPv6, as the rule does.
      const type = address.includes(':') ? 'ipv6' : 'ipv4';
      const bare = address.split('%')[0]!;
      const oracle = family === 4 ? v4.check(bare, type) : v6.check(bare, 'ipv6');
      expect(isLabAddress(address)).toBe(oracle);
    });
  }
});

describe('assertSafeBindAddress', () => {
  it.each(['0.0.0.0', '::', '127.0.0.1', '::1', '198.18.1.1', '2001:2::1'])('%s may be listened on', (a) => {
    expect(() => assertSafeBindAddress(a)).not.toThrow();
  });
  it.each(['192.168.1.10', '10.0.0.1', '2001:2:1::1', 'fe80::1%eth0', '239.255.0.1', 'localhost', 'x'])(
    '%s is refused',
    (a) => {
      expect(() => assertSafeBindAddress(a)).toThrow(UnsafeDestinationError);
    },
  );
});

describe('the tunnel tools refuse before opening a socket (real processes)', () => {
  const tool = (name: string) => fileURLToPath(new URL(`../suites/lib/tunnel/${name}.ts`, import.meta.url));
  // Each is easy for a per-tool guard to get wrong: 0.0.0.0 as a dial target, a %zone on a
  // global lab address, and 2001:2:1::5 outside 2001:2::/48.
  it.each([
    ['client', ['--gateway', '0.0.0.0', '--port', '1'], 'refusing to send to 0.0.0.0: unspecified'],
    ['client', ['--gateway', '2001:2:1::5', '--port', '1'], 'refusing to send to 2001:2:1::5: outside 2001:2::/48'],
    [
      'prober',
      ['--target', '2001:2::1%eth0', '--port', '1'],
      'refusing to send to 2001:2::1%eth0: a %zone goes only with a link-local',
    ],
    [
      'proxy',
      ['--upstream', '192.168.1.1', '--upstream-port', '1'],
      'refusing to send to 192.168.1.1: a private range',
    ],
    ['gateway', ['--address', '10.0.0.1'], 'refusing to listen on 10.0.0.1'],
  ])(
    '%s %j',
    async (name, args, detail) => {
      // No timeout of our own: a loaded machine only makes tsx start slower (vitest's 120 s bounds it).
      const r = await execa(process.execPath, ['--import', 'tsx', tool(name), ...args], {
        reject: false,
        stdin: 'ignore',
      });
      expect(r.exitCode).toBe(2);
      const fatal = r.stdout
        .split('\n')
        .map((l) => parseEventLine(l))
        .find((e) => e?.event === 'fatal');
      expect(fatal?.detail).toContain(detail);
    },
    120_000,
  );
});

describe('multicast group parameters are refused at validate when the rule would refuse them', () => {
  const multicast = TABLE.filter(([a]) => /^(22[4-9]|23[0-9])\.|^ff/i.test(a) && !a.includes('%'));
  it.each(multicast)('%s: the schema pattern agrees with the rule in a lab', (address, lab) => {
    const matches = new RegExp(GROUP4_PATTERN).test(address) || new RegExp(GROUP6_PATTERN).test(address);
    expect(matches).toBe(lab === Y);
  });

  it('a global group in a profile is a file:line:col error, not a run-time error', async () => {
    const registry = await loadRegistry();
    const dir = await tempDir('nc-safety-');
    const file = join(dir, 'p.yaml');
    await writeFile(
      file,
      'profile: p\nscenarios:\n  - id: g\n    use: multicast.group-peers\n    with: { group: 224.0.1.5 }\n  - id: a\n    use: multicast.asymmetry\n    with: { groups6: [ff0e::114] }\n',
    );
    const err = await loadProfile(file, registry).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProfileError);
    const lines = (err as ProfileError).issues.map(formatIssue);
    expect(lines).toEqual([
      `${file}:5:20: scenarios[0].with.group must be a group in 224.0.0.0/24 or 239.0.0.0/8, or an IPv6 group of scope 1–5 (the safety rule, harness/README.md)`,
      `${file}:8:23: scenarios[1].with.groups6[0] must be an IPv6 group of scope 1–5, interface- to site-local (the safety rule, harness/README.md)`,
    ]);
  });
});
