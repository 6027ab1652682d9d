/**
 * broadcast.requires-so-broadcast: the platform rule that a datagram socket must set
 * SO_BROADCAST before it may send to a broadcast address; without it sendto() fails with
 * EACCES (Linux socket(7) "SO_BROADCAST", udp_sendmsg; BSD/macOS ip_output). A product that
 * forgets the flag does not "discover nothing": its send fails — this check proves the kernel
 * enforces it, so a SUT's silence can be blamed on the missing flag.
 *
 * In a lab: per segment, all-hosts (bound to the interface) and directed broadcast without the
 * flag must fail with EACCES; then, as a control, the same directed send with the flag must
 * arrive at a listener on that segment. In host mode with peer agents (`with.peers`, and
 * --allow-host-network) the same runs on this host's interfaces with the agents as listeners;
 * a directed broadcast is sent only inside the lab range (the safety rule). In host mode without
 * agents only the refused send is tried, from a socket bound to 127.0.0.1, so even a kernel
 * that wrongly allowed it would keep it on loopback.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import type { UdpSocket } from '../../native/types.ts';
import { arrivalsEvidence, errCode, errText } from '../lib/net/evidence.ts';
import { listenPerSegment, type Listening } from '../lib/net/listeners.ts';
import { connectPeers, PeerPort, Peers, type PeerSet } from '../lib/net/peers.ts';
import { Segments } from '../lib/net/params.ts';
import { encodeProbe, newRunTag } from '../lib/net/probe.ts';
import { assertSafeDestination, isLabAddress, type SendFrom } from '../../harness/net/safety.ts';
import { sleep, waitUntil } from '../lib/net/timing.ts';
import {
  chooseSegments,
  labEndpoint,
  localEndpoint,
  openSocket,
  pickMultiHomed,
  sendFrom,
} from '../lib/net/topology.ts';

const With = Type.Object(
  {
    host: Type.Optional(
      Type.String({ description: 'lab host that sends (default: the one with most links)', examples: ['multi'] }),
    ),
    segments: Type.Optional(Segments('segments (host mode: interface names) to test; default all of the sender')),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47811,
      description: 'UDP port the sends go to and the control listeners bind (default 47811)',
    }),
    timeoutMs: Type.Integer({
      minimum: 50,
      maximum: 10000,
      default: 1000,
      description: 'how long to wait for the control datagram (sent with SO_BROADCAST) to arrive, in ms (default 1000)',
    }),
    peers: Type.Optional(Peers),
    peerPort: PeerPort,
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

/** Nothing to set: the platform rule is what is checked. */
const Expect = Type.Object({}, { additionalProperties: false });
type Expect = Static<typeof Expect>;

const RULE =
  'SO_BROADCAST must be set before sending to a broadcast address (socket(7); sendto() returns EACCES otherwise)';

/** Tries one send; returns the error code, or 'sent'. */
function attempt(sock: UdpSocket, data: Buffer, dest: string, port: number, from: SendFrom): string {
  assertSafeDestination(dest, from);
  try {
    sock.send(data, dest, port);
    return 'sent';
  } catch (err) {
    return errCode(err);
  }
}

function verdictFor(name: string, dest: string, outcome: string, where: string): Check {
  const values = { destination: dest, outcome, platform: process.platform };
  const ev = [{ kind: 'numbers' as const, title: 'send without SO_BROADCAST', values }];
  if (outcome === 'EACCES')
    return check.pass(name, `sendto ${dest} ${where} without SO_BROADCAST failed with EACCES: verified "${RULE}"`, ev);
  if (outcome === 'sent')
    return check.fail(
      name,
      `sendto ${dest} ${where} without SO_BROADCAST succeeded: the kernel did not enforce "${RULE}"`,
      ev,
    );
  return check.fail(
    name,
    `sendto ${dest} ${where} without SO_BROADCAST failed with ${outcome}, not EACCES: the refusal was for another reason`,
    ev,
  );
}

/** waitUntil, fetching remote listeners' reports between polls (every 100 ms). */
async function waitFor(
  heard: Listening,
  cond: () => boolean,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await heard.sync();
    if (cond()) return true;
    const left = deadline - performance.now();
    if (left <= 0 || signal.aborted) return false;
    await waitUntil(cond, Math.min(100, left), signal);
  }
}

export default defineScenario<With, Expect>({
  id: 'broadcast.requires-so-broadcast',
  summary: 'a broadcast send without SO_BROADCAST fails with EACCES; with it, it arrives',
  platforms: ['linux', 'darwin'],
  requires: ['addon'],
  // Host mode without agents sends nothing off this host (refused sends from 127.0.0.1 only);
  // with agents it checks --allow-host-network itself.
  sendsOnHostNetwork: false,
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 15_000,
  async run(ctx, { with: p }, signal) {
    const runTag = newRunTag();
    if (!ctx.lab && !p.peers?.length) {
      const sock = openSocket(ctx, localEndpoint(), { family: 4, broadcast: false });
      sock.bind('127.0.0.1', 0);
      // Bound to 127.0.0.1: Linux sends a limited broadcast out of the source's device, lo.
      const out = attempt(sock, encodeProbe(runTag, 'host', 0), '255.255.255.255', p.port, { where: 'loopback' });
      return [
        verdictFor('all-hosts broadcast without SO_BROADCAST', '255.255.255.255', out, 'from 127.0.0.1 (host mode)'),
      ];
    }
    if (!ctx.lab && !ctx.allowHostNetwork) {
      return [
        check.skip(
          'requires-so-broadcast',
          "with.peers makes host mode send on this host's real interfaces: refusing without --allow-host-network",
        ),
      ];
    }
    const sender = ctx.lab ? labEndpoint(pickMultiHomed(ctx.lab, p.host)) : localEndpoint();
    const { segments, unknown } = chooseSegments(sender, p.segments);
    if (unknown.length)
      return [
        check.error(
          'requires-so-broadcast',
          `with.segments names ${unknown.join(', ')}, not a segment of ${sender.label}`,
        ),
      ];
    let remote: PeerSet | undefined;
    if (!ctx.lab) {
      remote = await connectPeers(ctx, sender, p.peers!, p.peerPort, signal);
      if (remote.problems.length)
        return [check.error('requires-so-broadcast', `with.peers: ${remote.problems.join('; ')}`)];
    }
    const heard = await listenPerSegment(ctx, sender, segments, runTag, { family: 4, port: p.port }, remote);
    const from: SendFrom = sendFrom(ctx, sender);
    const checks: Check[] = [];
    for (const seg of segments) {
      if (signal.aborted) break;
      const bcast = seg.ipv4?.broadcast;
      if (!bcast) {
        checks.push(check.skip(`${seg.segment}`, `${seg.name} has no IPv4 broadcast address`));
        continue;
      }
      const sock = openSocket(ctx, sender, { family: 4, broadcast: false });
      sock.bindToDevice(seg.name);
      sock.bind('0.0.0.0', 0);
      checks.push(
        verdictFor(
          `all-hosts broadcast on ${seg.segment} without SO_BROADCAST`,
          '255.255.255.255',
          attempt(sock, encodeProbe(runTag, `nobcast:${seg.segment}`, 0), '255.255.255.255', p.port, from),
          `bound to ${seg.name}`,
        ),
      );
      if (!sender.lab && !isLabAddress(bcast)) {
        const why = `${bcast} is outside the lab range: host mode sends no directed broadcast there (safety rule)`;
        checks.push(check.skip(`directed broadcast on ${seg.segment} without SO_BROADCAST`, why));
        checks.push(check.skip(`directed broadcast on ${seg.segment} with SO_BROADCAST (control)`, why));
        continue;
      }
      checks.push(
        verdictFor(
          `directed broadcast on ${seg.segment} without SO_BROADCAST`,
          bcast,
          attempt(sock, encodeProbe(runTag, `nobcast:${seg.segment}`, 1), bcast, p.port, from),
          `from ${sender.label}`,
        ),
      );
      // Control: the same socket with the flag: the send must go through and arrive.
      const name = `directed broadcast on ${seg.segment} with SO_BROADCAST (control)`;
      if (heard.missing.includes(seg.segment)) {
        checks.push(
          check.skip(
            name,
            `no other host on ${seg.segment} to listen${sender.lab ? '' : ' (host mode: no peer agent named there)'}`,
          ),
        );
        continue;
      }
      sock.setBroadcast(true);
      const row = `bcast:${seg.segment}`;
      assertSafeDestination(bcast, from);
      try {
        sock.send(encodeProbe(runTag, row, 0), bcast, p.port);
      } catch (err) {
        checks.push(check.fail(name, `with SO_BROADCAST set, sendto ${bcast} still failed: ${errText(err)}`));
        continue;
      }
      const ok = await waitFor(heard, () => heard.log.count(row, seg.segment) > 0, p.timeoutMs, signal);
      const ev = [
        arrivalsEvidence(
          `control on ${seg.segment}`,
          heard.log.arrivals.filter((a) => a.probe.row === row),
        ),
      ];
      checks.push(
        ok
          ? check.pass(
              name,
              `with SO_BROADCAST the directed broadcast to ${bcast} arrived at ${heard.where[seg.segment]}`,
              ev,
            )
          : check.fail(
              name,
              `with SO_BROADCAST the send to ${bcast} succeeded but nothing arrived on ${seg.segment} within ${p.timeoutMs} ms`,
              ev,
            ),
      );
    }
    // A refused send must not leak: nothing of the no-flag rows may have arrived anywhere.
    await heard.sync();
    const leaked = heard.log.arrivals.filter((a) => a.probe.row.startsWith('nobcast:'));
    if (leaked.length)
      checks.push(
        check.fail(
          'refused sends stayed unsent',
          `${leaked.length} datagram(s) sent without SO_BROADCAST arrived anyway`,
          [arrivalsEvidence('leaked', leaked)],
        ),
      );
    await sleep(0, signal);
    return checks;
  },
});
