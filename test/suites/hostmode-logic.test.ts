/**
 * Host-mode pieces that need no root: which interfaces stand for segments, the peer agent's
 * protocol parsing, and the agent itself answering over 127.0.0.1 (real sockets, loopback).
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { addonStatus } from '../../native/index.ts';
import type { NetInterface } from '../../native/types.ts';
import { startPeerAgent } from '../../suites/lib/net/peer-agent.ts';
import { parseRequest, type Reply } from '../../suites/lib/net/peer-protocol.ts';
import { isSegmentInterface } from '../../suites/lib/net/topology.ts';

const iface = (over: Partial<NetInterface['flags']>, type: NetInterface['type'] = 'ethernet'): NetInterface => ({
  name: 'x0',
  index: 9,
  mtu: 1500,
  mac: undefined,
  type,
  addresses: [{ family: 6, address: 'fe80::1', prefixLength: 64 }],
  flags: { up: true, running: true, loopback: false, broadcast: true, multicast: true, pointToPoint: false, ...over },
});

describe('host-mode interface inventory', () => {
  it('keeps an up, running LAN interface and drops loopback, down, point-to-point (utun) and AWDL', () => {
    expect(isSegmentInterface(iface({}))).toBe(true);
    expect(isSegmentInterface(iface({ broadcast: false }))).toBe(true); // multicast-only LAN still counts
    expect(isSegmentInterface(iface({ loopback: true }))).toBe(false);
    expect(isSegmentInterface(iface({ running: false }))).toBe(false);
    expect(isSegmentInterface(iface({ pointToPoint: true, broadcast: false }))).toBe(false);
    expect(isSegmentInterface(iface({}, 'awdl'))).toBe(false);
    expect(isSegmentInterface(iface({ broadcast: false, multicast: false }))).toBe(false);
    expect(isSegmentInterface({ ...iface({}), addresses: [] })).toBe(false); // no address: no IP on it
  });
});

describe('peer agent protocol', () => {
  it('accepts the five requests and rejects unknown ops, extra keys and bad types', () => {
    const ok = (o: unknown) => parseRequest(Buffer.from(JSON.stringify(o)));
    expect(ok({ op: 'hello', id: 'a' })).toEqual({ op: 'hello', id: 'a' });
    expect(ok({ op: 'listen', id: 'a', run: 'r', family: 4, port: 47810 })?.op).toBe('listen');
    expect(
      ok({
        op: 'send',
        id: 'a',
        run: 'r',
        row: 'x',
        family: 6,
        group: 'ff05::1',
        port: 47820,
        count: 3,
        intervalMs: 0,
        ttl: 1,
        loopback: false,
      })?.op,
    ).toBe('send');
    expect(ok({ op: 'collect', id: 'a', run: 'r', part: 0 })?.op).toBe('collect');
    expect(ok({ op: 'close', id: 'a', run: 'r' })?.op).toBe('close');
    expect(ok({ op: 'exec', id: 'a' })).toBeUndefined();
    expect(ok({ op: 'hello', id: 'a', extra: 1 })).toBeUndefined();
    expect(ok({ op: 'listen', id: 'a', run: 'r', family: 5, port: 47810 })).toBeUndefined();
    expect(
      ok({
        op: 'send',
        id: 'a',
        run: 'r',
        row: 'x',
        family: 4,
        group: 'g',
        port: 80,
        count: 3,
        intervalMs: 0,
        ttl: 1,
        loopback: false,
      }),
    ).toBeUndefined();
    expect(parseRequest(Buffer.from('not json'))).toBeUndefined();
  });
});

describe.skipIf(!addonStatus().loaded)('peer agent on 127.0.0.1', () => {
  const agent = addonStatus().loaded ? startPeerAgent({ name: 'loop-agent', port: 0 }) : undefined;
  const client = createSocket('udp4');
  afterAll(() => {
    agent?.close();
    client.close();
  });
  const ask = async (req: object): Promise<Reply> => {
    const got = once(client, 'message') as Promise<[Buffer]>;
    client.send(JSON.stringify(req), agent!.port, '127.0.0.1');
    const [data] = await got;
    return JSON.parse(data.toString()) as Reply;
  };

  it('answers hello naming itself and the interface the request arrived on', async () => {
    const r = await ask({ op: 'hello', id: 'h1' });
    expect(r).toMatchObject({
      op: 'hello',
      id: 'h1',
      name: 'loop-agent',
      platform: process.platform,
      facing: { name: 'lo', ipv4: '127.0.0.1' },
    });
  });

  it("listens for a run, records only that run's probes, and a retried collect gets the same answer", async () => {
    expect(await ask({ op: 'listen', id: 'l1', run: 'run1', family: 4, port: 47860 })).toEqual({ op: 'ok', id: 'l1' });
    const { encodeProbe } = await import('../../suites/lib/net/probe.ts');
    const tx = createSocket('udp4');
    for (const [run, seq] of [
      ['run1', 0],
      ['other', 0],
      ['run1', 1],
    ] as const)
      tx.send(encodeProbe(run, 'row-a', seq), 47860, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 150));
    tx.close();
    const c = await ask({ op: 'collect', id: 'c1', run: 'run1', part: 0 });
    expect(c.op).toBe('collect');
    const entries = c.op === 'collect' ? c.entries : [];
    expect(entries.map((e) => [e[0], e[1], e[2], e[4]])).toEqual([
      ['row-a', 0, 'lo', '127.0.0.1'],
      ['row-a', 1, 'lo', '127.0.0.1'],
    ]);
    expect(await ask({ op: 'collect', id: 'c1', run: 'run1', part: 0 })).toEqual(c);
    expect(await ask({ op: 'close', id: 'x1', run: 'run1' })).toEqual({ op: 'ok', id: 'x1' });
    const after = await ask({ op: 'collect', id: 'c2', run: 'run1', part: 0 });
    expect(after.op === 'collect' && after.entries).toEqual([]);
  });
});
