/**
 * The native addon on loopback, as any user: real kernel, no mocks. Every datagram goes to
 * 127.0.0.0/8 or ::1.
 */
import { execa } from 'execa';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  addonStatus,
  createUdpSocket,
  getTcpKeepalive,
  isNativeError,
  listInterfaces,
  listInterfacesAsync,
  setLocalNetworkPolicy,
  setTcpKeepalive,
  type Datagram,
  type UdpSocket,
} from '../../native/index.ts';
import { udp, type Sock } from '../helpers/udp-sockets.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** Collects `n` datagrams or fails after `ms`. */
function collect(s: UdpSocket, n: number, ms = 5000): Promise<Datagram[]> {
  const got: Datagram[] = [];
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`received ${got.length}/${n} datagrams in ${ms} ms`)), ms);
    s.on('message', (d: Datagram) => {
      got.push(d);
      if (got.length === n) {
        clearTimeout(t);
        res(got);
      }
    });
    s.startReceiving();
  });
}

function loIndex(): number {
  const lo = listInterfaces().find((i) => i.flags.loopback);
  if (!lo) throw new Error('no loopback interface');
  return lo.index;
}

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('addon status and inventory', () => {
  it('loads and reports kernel features', () => {
    const st = addonStatus();
    expect(st.loaded, st.reason).toBe(true);
    expect(st.features).toMatchObject({ pktinfo: true, timestamps: true });
    if (process.platform === 'linux') expect(st.features).toMatchObject({ mmsg: true, netns: true });
  });

  it('lists the loopback interface with flags, type, mtu and addresses', () => {
    const ifs = listInterfaces();
    const lo = ifs.find((i) => i.flags.loopback);
    expect(lo).toBeDefined();
    expect(lo!.type).toBe('loopback');
    expect(lo!.index).toBeGreaterThan(0);
    expect(lo!.flags.up).toBe(true);
    expect(lo!.mtu).toBeGreaterThan(0);
    expect(lo!.addresses).toContainEqual({ family: 4, address: '127.0.0.1', prefixLength: 8 });
    // names and indexes are unique
    expect(new Set(ifs.map((i) => i.name)).size).toBe(ifs.length);
    expect(new Set(ifs.map((i) => i.index)).size).toBe(ifs.length);
    for (const i of ifs) {
      for (const a of i.addresses) {
        expect([4, 6]).toContain(a.family);
        expect(a.prefixLength).toBeLessThanOrEqual(a.family === 4 ? 32 : 128);
      }
      if (i.mac !== undefined) expect(i.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    }
  });

  it('lists the same interfaces from the thread pool', async () => {
    const a = listInterfaces().map((i) => [i.name, i.index, i.type]);
    const b = (await listInterfacesAsync()).map((i) => [i.name, i.index, i.type]);
    expect(b).toEqual(a);
  });
});

describe('UDP on loopback', () => {
  for (const family of [4, 6] as const) {
    const host = family === 4 ? '127.0.0.1' : '::1';
    it(`IPv${family}: delivers data, source, arrival ifindex, destination and a kernel timestamp`, async () => {
      const rx = udp(family);
      rx.bind(host, 0);
      const tx = udp(family);
      tx.bind(host, 0);
      const { port } = rx.address();
      const p = collect(rx, 3);
      const before = BigInt(Date.now() - 1) * 1_000_000n;
      for (const word of ['one', 'two', 'three']) expect(tx.send(Buffer.from(word), host, port)).toBe(word.length);
      const got = await p;
      const after = BigInt(Date.now() + 1) * 1_000_000n;
      expect(got.map((d) => d.data.toString())).toEqual(['one', 'two', 'three']);
      for (const d of got) {
        expect(d.address).toBe(host);
        expect(d.port).toBe(tx.address().port);
        expect(d.ifindex).toBe(loIndex());
        expect(d.destination).toBe(host);
        expect(typeof d.timestampNs).toBe('bigint');
        // the kernel stamps on arrival: inside the JS clock window around the send
        expect(d.timestampNs >= before && d.timestampNs <= after).toBe(true);
      }
      for (let i = 1; i < got.length; i++) expect(got[i]!.timestampNs >= got[i - 1]!.timestampNs).toBe(true);
    });
  }

  it('reports the destination of a datagram sent to another loopback address', async () => {
    const rx = udp(4);
    rx.bind('0.0.0.0', 0);
    const tx = udp(4);
    const p = collect(rx, 1);
    tx.send(Buffer.from('x'), '127.0.0.2', rx.address().port);
    const [d] = await p;
    expect(d!.destination).toBe('127.0.0.2');
    expect(d!.ifindex).toBe(loIndex());
  });

  it('refuses a broadcast send without SO_BROADCAST (EACCES) and allows it with the option', async () => {
    const rx = udp(4);
    rx.bind('0.0.0.0', 0);
    const port = rx.address().port;
    const tx = udp(4);
    const err = catchErr(() => tx.send(Buffer.from('b'), '127.255.255.255', port));
    expect(isNativeError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'EACCES', errno: -13, syscall: 'sendto' });
    expect((err as Error).message).toContain('127.255.255.255');

    const bc = udp(4, { broadcast: true });
    const p = collect(rx, 1);
    bc.send(Buffer.from('b'), '127.255.255.255', port);
    const [d] = await p;
    expect(d!.destination).toBe('127.255.255.255');
    // setBroadcast(false) takes it away again
    bc.setBroadcast(false);
    expect(catchErr(() => bc.send(Buffer.from('b'), '127.255.255.255', port))).toMatchObject({ code: 'EACCES' });
  });

  it('sendBatch delivers every datagram, in order', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    rx.setBufferSizes(1 << 20, 0); // the whole batch is queued before the first read
    const port = rx.address().port;
    const tx = udp(4);
    const n = 200;
    const batch = Array.from({ length: n }, (_, i) => ({ data: Buffer.from(`d${i}`), address: '127.0.0.1', port }));
    const p = collect(rx, n);
    expect(tx.sendBatch(batch)).toBe(n);
    const got = await p;
    expect(got.map((d) => d.data.toString())).toEqual(batch.map((b) => b.data.toString()));
  });

  it('sendBatch: one payload object repeated (staged once) and other payloads between keep their own bytes', async () => {
    const a = udp(4);
    a.bind('127.0.0.1', 0);
    const b = udp(4);
    b.bind('127.0.0.1', 0);
    const tx = udp(4);
    const probe = Buffer.from('probe');
    const other = Buffer.from('other-payload');
    const to = (data: Buffer, s: Sock) => ({ data, address: '127.0.0.1', port: s.address().port });
    const pa = collect(a, 4);
    const pb = collect(b, 3);
    expect(
      tx.sendBatch([
        to(probe, a),
        to(probe, b),
        to(probe, a),
        to(other, b),
        to(probe, a),
        to(other, b),
        to(probe.subarray(0, 2), a),
      ]),
    ).toBe(7);
    expect((await pa).map((d) => d.data.toString())).toEqual(['probe', 'probe', 'probe', 'pr']);
    expect((await pb).map((d) => d.data.toString())).toEqual(['probe', 'other-payload', 'other-payload']);
  });

  it('send to alternating destinations, after a failed send, each reaches its own peer', async () => {
    const a = udp(4);
    a.bind('127.0.0.1', 0);
    const b = udp(4);
    b.bind('127.0.0.1', 0);
    const tx = udp(4);
    const pa = collect(a, 3);
    const pb = collect(b, 2);
    const [ap, bp] = [a.address().port, b.address().port];
    tx.send(Buffer.from('a1'), '127.0.0.1', ap);
    tx.send(Buffer.from('a2'), '127.0.0.1', ap); // same destination: the cached fast path
    expect(catchErr(() => tx.send(Buffer.from('x'), 'not-an-ip', ap))).toBeInstanceOf(TypeError);
    expect(catchErr(() => tx.send(Buffer.from('x'), '127.255.255.255', ap))).toMatchObject({
      code: 'EACCES',
      syscall: 'sendto',
    });
    tx.send(Buffer.from('b1'), '127.0.0.1', bp);
    tx.send(Buffer.from('a3'), '127.0.0.1', ap);
    expect(tx.send(Buffer.from('b22'), '127.0.0.1', bp)).toBe(3);
    expect((await pa).map((d) => d.data.toString())).toEqual(['a1', 'a2', 'a3']);
    expect((await pb).map((d) => d.data.toString())).toEqual(['b1', 'b22']);
  });

  it('sendBatch: a bad destination anywhere sends nothing; large batches and odd items still work', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    rx.setBufferSizes(4 << 20, 0);
    const port = rx.address().port;
    const tx = udp(4);
    const ok = { data: Buffer.from('ok'), address: '127.0.0.1', port };
    expect(catchErr(() => tx.sendBatch([ok, { data: Buffer.from('x'), address: 'nope', port }]))).toBeInstanceOf(
      TypeError,
    );
    expect(
      catchErr(() => tx.sendBatch([ok, { data: Buffer.from('x'), address: '127.0.0.1', port: 70000 }])),
    ).toBeInstanceOf(TypeError);
    expect(
      catchErr(() => tx.sendBatch([ok, { data: 'str' as unknown as Buffer, address: '127.0.0.1', port }])),
    ).toBeInstanceOf(TypeError);
    const big = Array.from({ length: 6 }, (_, i) => ({ data: Buffer.alloc(60_000, i), address: '127.0.0.1', port })); // > 256 KiB in all
    const p = collect(rx, 8);
    expect(tx.sendBatch(big)).toBe(6);
    expect(tx.sendBatch([ok, { data: new Uint8Array([1, 2, 3]) as Buffer, address: '127.0.0.1', port }])).toBe(2);
    const got = await p;
    expect(got.slice(0, 6).map((d) => d.data.length)).toEqual([60_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    expect(got.slice(0, 6).map((d) => d.data[0])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(got[6]!.data.toString()).toBe('ok');
    expect([...got[7]!.data]).toEqual([1, 2, 3]);
  });

  it('received payloads stay intact and separate across receive pools', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    rx.setBufferSizes(4 << 20, 0);
    const port = rx.address().port;
    const tx = udp(4);
    // 1..3000-byte payloads: many 8 KiB pools, batches larger than one pool, odd lengths
    const sizes = Array.from({ length: 300 }, (_, i) => 1 + ((i * 977) % 3000));
    const sent = sizes.map((n, i) => Buffer.alloc(n, i & 0xff));
    const p = collect(rx, sent.length);
    for (let i = 0; i < sent.length; i += 50)
      expect(tx.sendBatch(sent.slice(i, i + 50).map((data) => ({ data, address: '127.0.0.1', port })))).toBe(50);
    const got = await p;
    for (const [i, d] of got.entries()) {
      expect(Buffer.isBuffer(d.data)).toBe(true);
      expect(d.data.equals(sent[i]!)).toBe(true);
    }
    got[0]!.data.fill(0xee); // a datagram's buffer is its own bytes: neighbours unchanged
    expect(got[1]!.data.equals(sent[1]!)).toBe(true);
  });

  it('sendBatch to several destinations and families of payload size', async () => {
    const a = udp(6);
    a.bind('::1', 0);
    const b = udp(6);
    b.bind('::1', 0);
    const tx = udp(6);
    const pa = collect(a, 2);
    const pb = collect(b, 1);
    const big = Buffer.alloc(60_000, 7);
    expect(
      tx.sendBatch([
        { data: Buffer.from('a1'), address: '::1', port: a.address().port },
        { data: big, address: '::1', port: b.address().port },
        { data: Buffer.from('a2'), address: '::1', port: a.address().port },
      ]),
    ).toBe(3);
    expect((await pa).map((d) => d.data.toString())).toEqual(['a1', 'a2']);
    expect((await pb)[0]!.data.equals(big)).toBe(true);
  });

  it('syscall errors carry code, errno, syscall and name the address', () => {
    const a = udp(4);
    a.bind('127.0.0.1', 0);
    const port = a.address().port;
    const b = udp(4);
    const e = catchErr(() => b.bind('127.0.0.1', port));
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: 'EADDRINUSE', errno: -98, syscall: 'bind' });
    expect((e as Error).message).toContain(`127.0.0.1:${port}`);
    const e2 = catchErr(() => b.bindToDevice('nct-nosuchif0'));
    expect(e2).toMatchObject({ code: 'ENODEV', syscall: 'setsockopt' });
    expect((e2 as Error).message).toContain('nct-nosuchif0');
    const e3 = catchErr(() => b.addMembership('127.0.0.1', 0));
    expect(isNativeError(e3)).toBe(true);
    expect((e3 as Error).message).toContain('127.0.0.1');
    if (process.platform === 'linux') {
      const e4 = catchErr(() => createUdpSocket({ family: 4, netns: 'nct-does-not-exist' }));
      expect(e4).toMatchObject({ code: 'ENOENT', syscall: 'open' });
      expect((e4 as Error).message).toContain('nct-does-not-exist');
    }
  });

  it('argument errors are TypeErrors', () => {
    const s = udp(4);
    expect(() => s.send(Buffer.from('x'), 'not-an-ip', 1)).toThrow(TypeError);
    expect(() => s.send(Buffer.from('x'), '::1', 1)).toThrow(TypeError); // v6 literal on a v4 socket
    expect(() => s.send(Buffer.from('x'), '127.0.0.1', 70000)).toThrow(TypeError);
    expect(() => s.send('x' as unknown as Buffer, '127.0.0.1', 1)).toThrow(TypeError);
    expect(() => s.bind('127.0.0.1', -1)).toThrow(TypeError);
    expect(() => s.setMulticastTTL(300)).toThrow(TypeError);
    expect(() => s.setMulticastInterface(-1)).toThrow(TypeError);
    expect(() => s.sendBatch([{ data: Buffer.from('x'), address: 'x', port: 1 }])).toThrow(TypeError);
    expect(() => createUdpSocket({ family: 5 as 4 })).toThrow(TypeError);
    expect(() => createUdpSocket({ family: 4, netns: '../etc' })).toThrow(TypeError);
    expect(() => setTcpKeepalive(0, { idleSec: 0, intervalSec: 1, count: 1 })).toThrow(TypeError);
  });

  it('a string for the kernel with a NUL inside is refused, never cut at the NUL', () => {
    const s = udp(4);
    const v6 = udp(6);
    const nul = /must not contain a NUL character|is not an IPv[46] literal/;
    expect(() => s.bindToDevice('lo\0evil')).toThrow(nul);
    expect(() => createUdpSocket({ family: 4, netns: 'nc-x\0evil' })).toThrow(nul);
    expect(() => listInterfaces({ netns: 'nc-x\0evil' })).toThrow(nul);
    expect(() => s.bind('127.0.0.1\0evil', 0)).toThrow(nul);
    expect(() => s.send(Buffer.from('x'), '127.0.0.1\0evil', 9)).toThrow(nul);
    expect(() => s.sendBatch([{ data: Buffer.from('x'), address: '127.0.0.1\0evil', port: 9 }])).toThrow(nul);
    const many = Array.from({ length: 1100 }, () => ({ data: Buffer.from('x'), address: '127.0.0.1\0evil', port: 9 }));
    expect(() => s.sendBatch(many)).toThrow(nul);
    expect(() => v6.addMembership('ff01::1\0evil', 1)).toThrow(nul);
    expect(() => v6.send(Buffer.from('x'), '::1%lo\0evil', 9)).toThrow(nul);
    // Without the NUL each is accepted: the refusal is the NUL's, not the name's.
    s.bindToDevice('lo');
    expect(s.send(Buffer.from('x'), '127.0.0.1', 9)).toBe(1);
    if (process.platform === 'linux')
      expect(() => setLocalNetworkPolicy('/sys/fs/cgroup\0evil', 'allowed')).toThrow(nul);
  });

  it('close() stops receiving, emits close once, and later calls fail with EBADF', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    const port = rx.address().port;
    let n = 0;
    rx.on('message', () => n++);
    rx.startReceiving();
    const closed = once(rx, 'close');
    rx.close();
    rx.close();
    await closed;
    const tx = udp(4);
    tx.send(Buffer.from('late'), '127.0.0.1', port);
    await new Promise((r) => setTimeout(r, 50));
    expect(n).toBe(0);
    expect(catchErr(() => rx.send(Buffer.from('x'), '127.0.0.1', port))).toMatchObject({ code: 'EBADF' });
    expect(() => rx.startReceiving()).toThrow();
  });

  it('stopReceiving() pauses delivery; startReceiving() resumes with queued datagrams', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    const port = rx.address().port;
    const tx = udp(4);
    const first = collect(rx, 1);
    tx.send(Buffer.from('a'), '127.0.0.1', port);
    await first;
    rx.stopReceiving();
    rx.removeAllListeners('message');
    let during = 0;
    rx.on('message', () => during++);
    tx.send(Buffer.from('b'), '127.0.0.1', port);
    await new Promise((r) => setTimeout(r, 50));
    expect(during).toBe(0);
    rx.removeAllListeners('message');
    const later = collect(rx, 1);
    expect((await later)[0]!.data.toString()).toBe('b');
  });
});

describe('TCP keepalive', () => {
  it('values on a net.Socket descriptor read back as set', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    try {
      const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
      expect(fd).toBeGreaterThan(0);
      setTcpKeepalive(fd, { idleSec: 7, intervalSec: 3, count: 4 });
      expect(getTcpKeepalive(fd)).toEqual({ enabled: true, idleSec: 7, intervalSec: 3, count: 4 });
      setTcpKeepalive(fd, { idleSec: 120, intervalSec: 15, count: 9 });
      expect(getTcpKeepalive(fd)).toEqual({ enabled: true, idleSec: 120, intervalSec: 15, count: 9 });
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('a UDP descriptor fails with a NativeError (no TCP options there)', () => {
    const s = udp(4);
    const e = catchErr(() => setTcpKeepalive(s.fd, { idleSec: 5, intervalSec: 5, count: 5 }));
    expect(isNativeError(e)).toBe(true);
    expect((e as Error).message).toContain(`fd ${s.fd}`);
  });
});

describe('lifetime (child processes)', () => {
  const run = (code: string, env: Record<string, string> = {}, nodeArgs: string[] = []) =>
    execa('node', [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: repoRoot,
      env,
      reject: false,
      timeout: 20_000,
    });

  it('an unclosed socket is closed when garbage-collected', async () => {
    const r = await run(
      `import { createUdpSocket } from './native/index.ts';
       import { readlinkSync } from 'node:fs';
       const fds = [];
       (() => { for (let i = 0; i < 50; i++) { const s = createUdpSocket({ family: 4 }); s.bind('127.0.0.1', 0); fds.push(s.fd); } })();
       const isSock = (fd) => { try { return readlinkSync('/proc/self/fd/' + fd).startsWith('socket:'); } catch { return false; } };
       const before = fds.filter(isSock).length;
       for (let i = 0; i < 10 && fds.some(isSock); i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
       console.log(JSON.stringify({ before, after: fds.filter(isSock).length }));`,
      {},
      ['--expose-gc'],
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ before: 50, after: 0 });
  });

  it('the process exits by itself with an idle socket and an unref()ed receiving socket open', async () => {
    const t0 = Date.now();
    const r = await run(
      `import { createUdpSocket } from './native/index.ts';
       const idle = createUdpSocket({ family: 4 }); idle.bind('127.0.0.1', 0);
       const rx = createUdpSocket({ family: 6 }); rx.bind('::1', 0); rx.on('message', () => {}); rx.startReceiving(); rx.unref();
       globalThis.keep = [idle, rx];
       console.log('ok');`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('a receiving socket keeps the process alive until it is closed', async () => {
    const r = await run(
      `import { createUdpSocket } from './native/index.ts';
       const rx = createUdpSocket({ family: 4 }); rx.bind('127.0.0.1', 0);
       rx.on('message', (d) => { console.log('got ' + d.data); rx.close(); });
       rx.startReceiving();
       setTimeout(() => createUdpSocket({ family: 4 }).send(Buffer.from('late'), '127.0.0.1', rx.address().port), 300);`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('got late');
  });

  it('importing without a build never throws: status says why, calls throw ERR_ADDON_NOT_BUILT', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'nct-nobuild-'));
    try {
      const r = await run(
        `import * as n from './native/index.ts';
         const out = { status: n.addonStatus() };
         for (const f of [() => n.listInterfaces(), () => n.createUdpSocket({ family: 4 }), () => n.getTcpKeepalive(0)]) {
           try { f(); } catch (e) { (out.codes ??= []).push(e.code); }
         }
         console.log(JSON.stringify(out));`,
        { NETCONFORM_NATIVE_DIR: empty },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { status: { loaded: boolean; reason: string }; codes: string[] };
      expect(out.status.loaded).toBe(false);
      expect(out.status.reason).toBe(
        'native addon not built: run `npm rebuild`; a C++ toolchain (g++, make, python3) is needed',
      );
      expect(out.codes).toEqual(['ERR_ADDON_NOT_BUILT', 'ERR_ADDON_NOT_BUILT', 'ERR_ADDON_NOT_BUILT']);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
