/**
 * When the addon turns on its receive options (pktinfo, SO_TIMESTAMPNS / SO_TIMESTAMP): at
 * the first bind() or startReceiving(), never at creation, so a socket that only sends
 * leaves the kernel's global receive-timestamp switch alone (native/src/udp_socket.cc
 * EnsureRecvInfo). Read back with getsockopt through receiveInfoOptions(); real loopback
 * traffic only.
 */
import { describe, expect, it } from 'vitest';

import { addonStatus, listInterfaces, type Datagram, type ReceiveOptions } from '../../native/index.ts';
import { udp, type Sock } from '../helpers/udp-sockets.ts';

function next(s: Sock, opts: ReceiveOptions, ms = 5000): Promise<Datagram> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no datagram in ${ms} ms`)), ms);
    s.once('message', (d: Datagram) => {
      clearTimeout(t);
      res(d);
    });
    s.startReceiving(opts);
  });
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
const loIndex = (): number => listInterfaces().find((i) => i.flags.loopback)!.index;
const OFF = { pktinfo: false, timestamps: false };
const ON = { pktinfo: true, timestamps: true };

describe.skipIf(!addonStatus().loaded)('receive options', () => {
  for (const family of [4, 6] as const) {
    const host = family === 4 ? '127.0.0.1' : '::1';

    it(`IPv${family}: a socket that only sends (send and sendBatch, autobound) never turns them on`, async () => {
      const rx = udp(family);
      rx.bind(host, 0);
      const tx = udp(family);
      expect(tx.receiveInfoOptions()).toEqual(OFF);
      const { port } = rx.address();
      const got = next(rx, {});
      tx.send(Buffer.from('one'), host, port);
      expect(tx.sendBatch([{ data: Buffer.from('two'), address: host, port }])).toBe(1);
      expect((await got).data.toString()).toBe('one');
      expect(tx.address().port).toBeGreaterThan(0); // bound implicitly by the first send
      expect(tx.receiveInfoOptions()).toEqual(OFF);
      expect(rx.receiveInfoOptions()).toEqual(ON);
    });

    for (const opts of [{}, { thread: true }] satisfies ReceiveOptions[]) {
      it(`IPv${family}, ${opts.thread ? 'receive thread' : 'event loop'}: bound, then received from: arrival timestamp and pktinfo`, async () => {
        const rx = udp(family);
        rx.bind(host, 0);
        expect(rx.receiveInfoOptions()).toEqual(ON); // on at bind, before anything can arrive
        const tx = udp(family);
        // The kernel turns its global timestamp switch on through a work item when no
        // socket had it on (net/core/dev.c net_enable_timestamp / netstamp_clear): let it run.
        await new Promise((r) => setTimeout(r, 20));
        const before = nowNs() - 1_000_000n;
        tx.send(Buffer.from('hello'), host, rx.address().port);
        // Queued before startReceiving: still stamped at arrival (the options were on).
        await new Promise((r) => setTimeout(r, 50));
        const queuedBy = nowNs() + 1_000_000n;
        const d = await next(rx, opts);
        expect(d).toMatchObject({ address: host, ifindex: loIndex(), destination: host });
        expect(d.timestampNs >= before && d.timestampNs <= queuedBy).toBe(true);
      });
    }

    it(`IPv${family}: sends first (autobind), then receives the reply: the first startReceiving turns them on`, async () => {
      const peer = udp(family);
      peer.bind(host, 0);
      const client = udp(family);
      const request = next(peer, {});
      client.send(Buffer.from('ping'), host, peer.address().port);
      const req = await request;
      expect(client.receiveInfoOptions()).toEqual(OFF);
      // The normal order for a client: start receiving, then the reply arrives.
      const reply = next(client, {});
      expect(client.receiveInfoOptions()).toEqual(ON);
      const before = nowNs() - 1_000_000n;
      peer.send(Buffer.from('pong'), req.address, req.port);
      const d = await reply;
      const after = nowNs() + 1_000_000n;
      expect(d).toMatchObject({ address: host, port: peer.address().port, ifindex: loIndex(), destination: host });
      expect(d.data.toString()).toBe('pong');
      expect(d.timestampNs >= before && d.timestampNs <= after).toBe(true);
    });
  }
});
