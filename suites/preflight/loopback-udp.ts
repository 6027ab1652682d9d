/**
 * preflight.loopback-udp: a UDP datagram round trip on 127.0.0.1 and ::1 through real
 * sockets. With the native addon it also verifies what dgram cannot see: the arrival
 * interface (IP_PKTINFO) is loopback, the destination is the address sent to, and the kernel
 * receive timestamp agrees with the JS clock.
 */
import dgram from 'node:dgram';
import { Type, type Static } from '@sinclair/typebox';
import { once } from 'node:events';
import { check, type Check, type Evidence } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { assertSafeDestination } from '../../harness/net/safety.ts';
import { Enum } from '../lib/params.ts';
import { addonStatus, createUdpSocket, listInterfaces, type Datagram } from '../../native/index.ts';

const Params = Type.Object(
  {
    timeoutMs: Type.Integer({
      minimum: 10,
      maximum: 60_000,
      default: 2000,
      description: 'how long each round trip may take, in ms',
    }),
    families: Type.Array(Enum([4, 6], { description: 'an address family: 4 = 127.0.0.1, 6 = ::1' }), {
      minItems: 1,
      uniqueItems: true,
      default: [4, 6],
      description: 'address families to try: 4 = 127.0.0.1, 6 = ::1 (skipped, saying why, without IPv6)',
    }),
  },
  { additionalProperties: false },
);
type Params = Static<typeof Params>;

const Expect = Type.Object({}, { additionalProperties: false });

const errText = (err: unknown) => {
  const e = err as { code?: string; syscall?: string; message?: string };
  return e.code ? `${e.syscall ?? 'syscall'} failed with ${e.code}` : String(e.message ?? err);
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}

async function viaAddon(family: 4 | 6, address: string, p: Params, signal: AbortSignal): Promise<Check> {
  const name = `udp${family} round trip via ${address} (native)`;
  const loIndex = listInterfaces().find((i) => i.flags.loopback)?.index;
  const server = createUdpSocket({ family });
  const client = createUdpSocket({ family });
  try {
    server.bind(address, 0);
    client.bind(address, 0);
    const port = server.address().port;
    const arrived = new Promise<Datagram>((resolve) => server.once('message', resolve));
    server.startReceiving();
    const sentAt = Date.now();
    client.send(Buffer.from('netconform preflight'), address, port);
    const d = await withTimeout(arrived, p.timeoutMs, `datagram at ${address}:${port}`, signal);
    const skewMs = Number(d.timestampNs / 1_000_000n) - sentAt;
    const evidence: Evidence[] = [
      {
        kind: 'numbers',
        title: 'arrival',
        values: {
          ifindex: d.ifindex,
          loopbackIndex: loIndex ?? null,
          destination: d.destination,
          source: `${d.address}:${d.port}`,
          kernelTimestampMinusSendMs: skewMs,
        },
        units: { kernelTimestampMinusSendMs: 'ms' },
      },
    ];
    if (loIndex !== undefined && d.ifindex !== loIndex)
      return check.fail(
        name,
        `arrived on ifindex ${d.ifindex}, not loopback (${loIndex}): IP_PKTINFO reports the wrong interface`,
        evidence,
      );
    if (d.destination !== address)
      return check.fail(name, `destination reported as ${d.destination}, sent to ${address}`, evidence);
    if (Math.abs(skewMs) > 1000)
      return check.fail(
        name,
        `kernel timestamp is ${skewMs} ms from the JS clock: SO_TIMESTAMPNS looks wrong`,
        evidence,
      );
    return check.pass(
      name,
      `arrived on loopback (ifindex ${d.ifindex}) addressed to ${d.destination}, kernel timestamp ${skewMs} ms after send`,
      evidence,
    );
  } catch (err) {
    return check.fail(name, `round trip on ${address} failed: ${errText(err)}`);
  } finally {
    server.close();
    client.close();
  }
}

async function viaDgram(family: 4 | 6, address: string, p: Params, signal: AbortSignal): Promise<Check> {
  const name = `udp${family} round trip via ${address} (dgram)`;
  const server = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  const client = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  try {
    server.bind(0, address);
    await once(server, 'listening');
    server.on('message', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
    const echoed = once(client, 'message') as Promise<[Buffer, dgram.RemoteInfo]>;
    client.send(Buffer.from('netconform preflight'), server.address().port, address);
    const started = performance.now();
    const [msg] = await withTimeout(echoed, p.timeoutMs, `echo from ${address}`, signal);
    const rtt = performance.now() - started;
    return check.pass(
      name,
      `echoed ${msg.length} bytes in ${rtt.toFixed(2)} ms (native addon not loaded, so no arrival interface check)`,
    );
  } catch (err) {
    return check.fail(name, `round trip on ${address} failed: ${errText(err)}`);
  } finally {
    server.close();
    client.close();
  }
}

export default defineScenario<Params, Static<typeof Expect>>({
  id: 'preflight.loopback-udp',
  summary: 'UDP round trip on 127.0.0.1 and ::1; with the addon, arrival interface, destination and kernel timestamp',
  platforms: ['linux', 'darwin'],
  requires: [],
  withSchema: Params,
  expectSchema: Expect,
  defaultTimeoutMs: 15_000,
  async run(ctx, { with: p }, signal) {
    const native = addonStatus().loaded;
    if (!native) ctx.log(`native addon not loaded (${addonStatus().reason}); using Node dgram`);
    const checks: Check[] = [];
    for (const family of p.families) {
      const address = family === 4 ? '127.0.0.1' : '::1';
      assertSafeDestination(address, { where: 'loopback' });
      if (family === 6 && !ctx.capabilities.ipv6.ok) {
        checks.push(check.skip(`udp6 round trip via ::1`, ctx.capabilities.ipv6.reason));
        continue;
      }
      checks.push(native ? await viaAddon(family, address, p, signal) : await viaDgram(family, address, p, signal));
    }
    return checks;
  },
});
