/**
 * The addon's receive thread (startReceiving({ thread: true, coalesceUs })), on loopback with
 * the real kernel: what it delivers (pktinfo, timestamps, order), the coalescing window,
 * closing while datagrams arrive and from inside a callback, argument errors, and the
 * process lifetime. The hostile cases run in child processes (test/native/recv-thread-stress.mjs),
 * so a crash is a failed test rather than a dead runner. Every datagram goes to 127.0.0.1 or ::1.
 */
import { execa } from 'execa';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { addonStatus, listInterfaces, type Datagram, type ReceiveOptions, type UdpSocket } from '../../native/index.ts';
import { udp } from '../helpers/udp-sockets.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const built = addonStatus().loaded;

/** Collects `n` datagrams (with the JS clock at delivery) or fails after `ms`. */
function collect(
  s: UdpSocket,
  n: number,
  opts: ReceiveOptions,
  ms = 10_000,
): Promise<{ d: Datagram; deliveredNs: bigint }[]> {
  const got: { d: Datagram; deliveredNs: bigint }[] = [];
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`received ${got.length}/${n} datagrams in ${ms} ms`)), ms);
    s.on('message', (d: Datagram) => {
      got.push({ d, deliveredNs: BigInt(Date.now()) * 1_000_000n });
      if (got.length === n) {
        clearTimeout(t);
        res(got);
      }
    });
    s.startReceiving(opts);
  });
}

const loIndex = (): number => listInterfaces().find((i) => i.flags.loopback)!.index;

describe.skipIf(!built)('receive thread', () => {
  for (const family of [4, 6] as const) {
    const host = family === 4 ? '127.0.0.1' : '::1';
    for (const coalesceUs of [0, 2000]) {
      it(`IPv${family}, coalesceUs ${coalesceUs}: data, source, arrival ifindex, destination and kernel timestamps, in order`, async () => {
        const rx = udp(family);
        rx.bind(host, 0);
        rx.setBufferSizes(1 << 20, 0);
        const tx = udp(family);
        tx.bind(host, 0);
        const n = 600; // more than one delivery batch (256)
        const p = collect(rx, n, { thread: true, coalesceUs });
        const before = BigInt(Date.now() - 1) * 1_000_000n;
        const batch = Array.from({ length: n }, (_, i) => ({
          data: Buffer.from(`dg${i}`),
          address: host,
          port: rx.address().port,
        }));
        expect(tx.sendBatch(batch.slice(0, 300)) + tx.sendBatch(batch.slice(300))).toBe(n);
        const got = await p;
        const after = BigInt(Date.now() + 1) * 1_000_000n;
        expect(got.map((g) => g.d.data.toString())).toEqual(batch.map((b) => b.data.toString()));
        for (const { d } of got) {
          expect(d).toMatchObject({ address: host, port: tx.address().port, ifindex: loIndex(), destination: host });
          expect(d.timestampNs >= before && d.timestampNs <= after).toBe(true);
        }
        for (let i = 1; i < got.length; i++) expect(got[i]!.d.timestampNs >= got[i - 1]!.d.timestampNs).toBe(true);
      });
    }
  }

  it('payloads of every size stay intact across batches and pools', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    rx.setBufferSizes(4 << 20, 0);
    const tx = udp(4);
    const sizes = [0, 1, 7, 8, 9, 1000, 8192, 9000, 65507, 3, 60000, 5];
    const payloads = sizes.map((len, i) => Buffer.alloc(len, (i * 37 + 11) & 0xff));
    const p = collect(rx, payloads.length, { thread: true, coalesceUs: 1000 });
    for (const b of payloads) tx.send(b, '127.0.0.1', rx.address().port);
    const got = await p;
    expect(got.map((g) => g.d.data.length)).toEqual(sizes);
    got.forEach((g, i) => expect(g.d.data.equals(payloads[i]!)).toBe(true));
  });

  it('a coalescing window holds datagrams after a delivery, and timestampNs still dates each one at arrival', async () => {
    const W = 900; // ms (the maximum is 1 s); generous, so scheduling delays on a loaded machine cannot blur it
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    const tx = udp(4);
    const port = rx.address().port;
    const got: { d: Datagram; deliveredNs: bigint }[] = [];
    const done = new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`received ${got.length}/2`)), 20_000);
      rx.on('message', (d: Datagram) => {
        got.push({ d, deliveredNs: process.hrtime.bigint() });
        // the second datagram arrives right after the first was handed over: inside the window
        if (got.length === 1) tx.send(Buffer.from('second'), '127.0.0.1', port);
        if (got.length === 2) {
          clearTimeout(t);
          res();
        }
      });
    });
    rx.startReceiving({ thread: true, coalesceUs: W * 1000 });
    tx.send(Buffer.from('first'), '127.0.0.1', port);
    await done;
    const [a, b] = got as [{ d: Datagram; deliveredNs: bigint }, { d: Datagram; deliveredNs: bigint }];
    expect([a.d.data.toString(), b.d.data.toString()]).toEqual(['first', 'second']);
    // held: the second one is handed over no earlier than one window after the first
    expect(Number(b.deliveredNs - a.deliveredNs) / 1e6).toBeGreaterThan(W * 0.9);
    // ...while its kernel timestamp is its arrival, right after the first delivery
    expect(Number(b.d.timestampNs - a.d.timestampNs) / 1e6).toBeLessThan(W / 2);
  });

  it('close() from inside a message handler: no further message, close once, later calls fail with EBADF', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    rx.setBufferSizes(1 << 20, 0);
    const port = rx.address().port;
    const tx = udp(4);
    let n = 0;
    let closes = 0;
    rx.on('close', () => closes++);
    const first = new Promise<void>((res) =>
      rx.on('message', () => {
        n++;
        rx.close();
        res();
      }),
    );
    rx.startReceiving({ thread: true, coalesceUs: 500 });
    tx.sendBatch(Array.from({ length: 200 }, () => ({ data: Buffer.from('x'), address: '127.0.0.1', port })));
    await first;
    tx.sendBatch(Array.from({ length: 50 }, () => ({ data: Buffer.from('y'), address: '127.0.0.1', port })));
    await new Promise((r) => setTimeout(r, 100));
    expect({ n, closes }).toEqual({ n: 1, closes: 1 });
    expect(() => rx.send(Buffer.from('x'), '127.0.0.1', port)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => rx.startReceiving({ thread: true })).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('switches between the event loop and the thread, and stopReceiving() pauses either', async () => {
    const rx = udp(4);
    rx.bind('127.0.0.1', 0);
    const port = rx.address().port;
    const tx = udp(4);
    const seen: string[] = [];
    rx.on('message', (d: Datagram) => seen.push(d.data.toString()));
    const wait = async (n: number) => {
      for (let i = 0; i < 500 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    for (const [k, opts] of [
      [1, {}],
      [2, { thread: true }],
      [3, { thread: true, coalesceUs: 300 }],
      [4, {}],
      [5, { thread: true }],
    ] as const) {
      rx.startReceiving(opts);
      tx.send(Buffer.from(`m${k}`), '127.0.0.1', port);
      await wait(k);
    }
    rx.stopReceiving();
    tx.send(Buffer.from('paused'), '127.0.0.1', port);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('argument errors are TypeErrors and RangeErrors', () => {
    const rx = udp(4);
    const bad: [unknown, ErrorConstructor][] = [
      [null, TypeError],
      ['thread', TypeError],
      [{ thread: 'yes' }, TypeError],
      [{ thread: true, coalesceUs: -1 }, RangeError],
      [{ thread: true, coalesceUs: 1.5 }, RangeError],
      [{ thread: true, coalesceUs: 1_000_001 }, RangeError],
      [{ thread: true, coalesceUs: '5' }, RangeError],
      [{ coalesceUs: 1000 }, TypeError],
    ];
    for (const [opts, type] of bad)
      expect(() => rx.startReceiving(opts as ReceiveOptions), JSON.stringify(opts)).toThrow(type);
  });
});

describe.skipIf(!built)('receive thread (child processes)', () => {
  it.each(['close-while-arriving', 'close-in-callback', 'switch-modes', 'gc-after-close'])(
    'stress %s: no crash, every cycle delivered, nothing after close',
    async (mode) => {
      const r = await execa('node', ['--expose-gc', 'test/native/recv-thread-stress.mjs', mode], {
        cwd: repoRoot,
        reject: false,
        timeout: 120_000,
      });
      expect({ exitCode: r.exitCode, signal: r.signal, stderr: r.stderr }).toEqual({
        exitCode: 0,
        signal: undefined,
        stderr: '',
      });
      const out = JSON.parse(r.stdout) as { cycles: number; received: number; afterClose: number };
      expect(out.cycles).toBeGreaterThan(0);
      expect(out.received).toBeGreaterThanOrEqual(out.cycles);
      expect(out.afterClose).toBe(0);
    },
  );

  const run = (code: string) =>
    execa('node', ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: repoRoot,
      reject: false,
      timeout: 20_000,
    });

  it('an unref()ed thread-receiving socket lets the process exit; a ref()ed one keeps it until close', async () => {
    const r1 = await run(
      `import { createUdpSocket } from './native/index.ts';
       const rx = createUdpSocket({ family: 4 }); rx.bind('127.0.0.1', 0); rx.on('message', () => {});
       rx.startReceiving({ thread: true, coalesceUs: 1000 }); rx.unref(); globalThis.keep = rx; console.log('ok');`,
    );
    expect({ code: r1.exitCode, out: r1.stdout.trim(), err: r1.stderr }).toEqual({ code: 0, out: 'ok', err: '' });
    const r2 = await run(
      `import { createUdpSocket } from './native/index.ts';
       const rx = createUdpSocket({ family: 4 }); rx.bind('127.0.0.1', 0);
       rx.on('message', (d) => { console.log('got ' + d.data); rx.close(); });
       rx.startReceiving({ thread: true });
       setTimeout(() => createUdpSocket({ family: 4 }).send(Buffer.from('late'), '127.0.0.1', rx.address().port), 300);`,
    );
    expect({ code: r2.exitCode, out: r2.stdout.trim(), err: r2.stderr }).toEqual({ code: 0, out: 'got late', err: '' });
  });

  // The kernel reports an ICMP port-unreachable to an unconnected UDP socket only with
  // IP_RECVERR (ip(7)): set on the addon's socket through a pidfd_getfd(2) duplicate, so the
  // next recvmmsg on the thread fails with ECONNREFUSED. Needs root (ptrace access) and Linux.
  it.skipIf(process.platform !== 'linux' || process.getuid?.() !== 0)(
    'a receive error reaches JS as an error event with code and errno (ECONNREFUSED via IP_RECVERR; root)',
    async () => {
      const r = await run(
        `import { createUdpSocket } from './native/index.ts';
       import { execFileSync } from 'node:child_process';
       const s = createUdpSocket({ family: 4 }); s.bind('127.0.0.1', 0);
       const py = 'import ctypes,os,socket,sys\\nlibc=ctypes.CDLL(None,use_errno=True)\\npfd=os.pidfd_open(int(sys.argv[1]))\\nfd=libc.syscall(438,pfd,int(sys.argv[2]),0)\\nassert fd>=0, ctypes.get_errno()\\ns=socket.socket(fileno=fd)\\ns.setsockopt(socket.IPPROTO_IP,11,1)\\ns.detach()';
       execFileSync('python3', ['-c', py, String(process.pid), String(s.fd)]);
       const closed = createUdpSocket({ family: 4 }); closed.bind('127.0.0.1', 0); const port = closed.address().port; closed.close();
       s.on('error', (e) => { console.log(JSON.stringify({ code: e.code, errno: e.errno, syscall: e.syscall, isError: e instanceof Error })); s.close(); });
       s.on('message', () => {});
       s.startReceiving({ thread: true });
       s.send(Buffer.from('x'), '127.0.0.1', port);`,
      );
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ code: 'ECONNREFUSED', errno: -111, syscall: 'recvmmsg', isError: true });
    },
  );
});
