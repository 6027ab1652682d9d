// Exercises the compiled addon directly (no TS loader) so it can run under valgrind:
//   valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
//     --suppressions=test/native/valgrind.supp \
//     node --expose-gc test/native/valgrind-smoke.mjs
// Loopback only; a netns part runs when root (creates and deletes nct-vg-<pid>).
// test/native/recv-thread-stress.mjs (the receive thread's lifetime) runs the same way.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(import.meta.url);
const b = require('node-gyp-build')(new URL('../../native', import.meta.url).pathname);
const assert = (c, m) => {
  if (!c) {
    console.error('FAIL', m);
    process.exit(2);
  }
};

assert(
  b.listInterfaces().some((i) => i.type === 'loopback'),
  'loopback listed',
);
assert((await b.listInterfacesAsync()).length > 0, 'async list');

for (const [fam, host] of [
  [4, '127.0.0.1'],
  [6, '::1'],
]) {
  const rx = new b.UdpSocket(fam, true, false, false);
  rx.bind(host, 0);
  rx.setBufferSizes(4 << 20, 0); // 400 queued datagrams must not overflow
  const port = rx.address().port;
  const bufs = rx.recvBuffers();
  let got = 0;
  const timer = setTimeout(() => assert(false, `received ${got}/400`), 60_000);
  const done = new Promise((res) =>
    rx.startReceiving((n) => {
      for (let i = 0; i < n; i++) assert(bufs.meta[i * bufs.stride + 2] > 0, 'ifindex');
      got += n;
      if (got >= 400) res();
    }),
  );
  const tx = new b.UdpSocket(fam, false, false, false);
  for (let i = 0; i < 100; i++) tx.send(Buffer.from('x'.repeat(i + 1)), host, port);
  // 150 items, one of whose getters sends a 50-item batch on the same socket (re-entry)
  const outer = Array.from({ length: 150 }, (_, i) => ({ data: Buffer.alloc(64, i), address: host, port }));
  const own = outer[75].data;
  Object.defineProperty(outer[75], 'data', {
    get() {
      tx.sendBatch(Array.from({ length: 50 }, () => ({ data: Buffer.alloc(64), address: host, port })));
      return own;
    },
  });
  assert(tx.sendBatch(outer) === 150, 'outer sendBatch count');
  // the wrapper's fast paths (native/index.ts): External handle, cached destination, staged batch
  // (in a function: the External must become garbage for the GC below to free its wrapper)
  ((h) => {
    b.sendTo(h, Buffer.from('t'), host, port);
    for (let i = 0; i < 49; i++) b.sendLast(h, Buffer.from('l'));
    b.sendStaged(h, Buffer.alloc(150, 1), 50, new Int32Array(50).fill(3), new Int32Array(50), [host, port]);
    b.sendStaged(
      h,
      Buffer.alloc(150, 1),
      50,
      new Int32Array(50).fill(3),
      new Int32Array(50),
      [host, port],
      new Int32Array(50).fill(147),
    );
  })(tx.handle());
  await done;
  clearTimeout(timer);
  rx.stopReceiving();
  rx.close();
  tx.close();
}
// the receive thread (recv_thread.cc): deliveries through the ThreadSafeFunction, a close
// from inside a callback, a close while datagrams keep arriving, switching to the loop path
for (const [coalesce, closeInside] of [
  [0, false],
  [500, true],
  [0, true],
  [2000, false],
]) {
  const rx = new b.UdpSocket(4, false, false, false);
  rx.bind('127.0.0.1', 0);
  rx.setBufferSizes(1 << 20, 0);
  const port = rx.address().port;
  const bufs = rx.recvBuffers();
  const tx = new b.UdpSocket(4, false, false, false);
  let got = 0;
  const timer = setTimeout(() => assert(false, `thread received ${got}`), 60_000);
  await new Promise((res) => {
    rx.startReceiving(
      (n, err) => {
        assert(n >= 0, `thread error ${err?.code}`);
        for (let i = 0; i < n; i++)
          assert(bufs.meta[i * bufs.stride + 2] > 0 && bufs.ts[i] > 0n, 'pktinfo and timestamp via the thread');
        got += n;
        if (closeInside) {
          rx.close();
          res();
        } else if (got >= 300) res();
      },
      true,
      coalesce,
    );
    tx.sendBatch(Array.from({ length: 300 }, (_, i) => ({ data: Buffer.alloc(40, i), address: '127.0.0.1', port })));
  });
  clearTimeout(timer);
  if (!closeInside) {
    tx.sendBatch(Array.from({ length: 100 }, () => ({ data: Buffer.alloc(8), address: '127.0.0.1', port })));
    rx.startReceiving(() => {}); // back to the loop: the thread is joined first
    rx.startReceiving(() => {}, true, 100);
    rx.close();
  }
  tx.close();
}
const s = new b.UdpSocket(4, false, false, false);
for (const f of [
  () => s.send(Buffer.from('b'), '127.255.255.255', 9),
  () => s.bindToDevice('nct-none0'),
  () => s.send(Buffer.from('x'), 'bad', 1),
  () => new b.UdpSocket(4, false, false, false, 'nct-absent'),
]) {
  try {
    f();
    assert(false, 'should throw');
  } catch (e) {
    assert(e.code || e instanceof TypeError, 'error shape');
  }
}
s.setMulticastTTL(2);
s.setMulticastLoopback(false);
s.setMulticastInterface(0);
s.close();

const srv = net.createServer().listen(0, '127.0.0.1');
await new Promise((r) => srv.once('listening', r));
const c = net.connect(srv.address().port, '127.0.0.1');
await new Promise((r) => c.once('connect', r));
b.setTcpKeepalive(c._handle.fd, 5, 2, 3);
const ka = b.getTcpKeepalive(c._handle.fd);
assert(ka.idleSec === 5 && ka.intervalSec === 2 && ka.count === 3, 'keepalive');
c.destroy();
srv.close();

if (process.getuid() === 0) {
  const ns = `nct-vg-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const ifs = b.listInterfaces(ns);
    assert(ifs.length === 1 && ifs[0].name === 'lo', 'netns inventory');
    const u = new b.UdpSocket(4, false, false, false, ns);
    u.close();
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

// unclosed sockets: the finalizer closes them
(() => {
  for (let i = 0; i < 20; i++) {
    const u = new b.UdpSocket(4, false, false, false);
    u.bind('127.0.0.1', 0);
    u.recvBuffers();
  }
})();
for (let i = 0; i < 5; i++) {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 10));
}
// and one left open and receiving (unref'd) at exit: the cleanup hook closes it
const last = new b.UdpSocket(6, false, false, false);
last.bind('::1', 0);
last.startReceiving(() => {});
last.unref();
// and one receiving on its thread (unref'd): the cleanup hook stops and joins it
const lastThread = new b.UdpSocket(4, false, false, false);
lastThread.bind('127.0.0.1', 0);
lastThread.recvBuffers();
lastThread.startReceiving(() => {}, true, 1000);
lastThread.unref();
console.log('valgrind smoke ok');
