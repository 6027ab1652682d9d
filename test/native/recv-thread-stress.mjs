// Hammers the receive thread's lifetime with the compiled addon directly (no TS loader, so it
// also runs under valgrind): many cycles of start / datagrams arriving / close, in the mode
// given on the command line. Prints {"cycles", "received", "afterClose"}; afterClose counts
// callbacks after close(), which must be 0. Loopback only, bounded in cycles and time.
//   node --expose-gc test/native/recv-thread-stress.mjs close-while-arriving|close-in-callback|switch-modes|gc-after-close [cycles]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const b = require('node-gyp-build')(new URL('../../native', import.meta.url).pathname);
const mode = process.argv[2];
const cycles = Number(process.argv[3] ?? 40);
const deadline = setTimeout(() => {
  console.error(`${mode}: not done in 90 s`);
  process.exit(3);
}, 90_000);

const tx = new b.UdpSocket(4, false, false, false);
const payload = Array.from({ length: 64 }, (_, i) => ({
  data: Buffer.alloc(32 + i, i),
  address: '127.0.0.1',
  port: 0,
}));
const blast = (port) => {
  for (const p of payload) p.port = port;
  return tx.sendBatch(payload);
};
const tick = () => new Promise((r) => setImmediate(r));

let received = 0,
  afterClose = 0;
for (let c = 0; c < cycles; c++) {
  const rx = new b.UdpSocket(4, false, false, false);
  rx.bind('127.0.0.1', 0);
  rx.setBufferSizes(1 << 20, 0);
  const port = rx.address().port;
  const bufs = rx.recvBuffers();
  let closed = false,
    got = 0;
  const coalesce = [0, 200, 1000][c % 3];
  const onBatch = (n, err) => {
    if (closed) {
      afterClose++;
      return;
    }
    if (n < 0) throw err;
    for (let i = 0; i < n; i++) if (bufs.meta[i * bufs.stride + 2] <= 0) throw new Error('no ifindex');
    got += n;
    received += n;
    if (mode === 'close-in-callback') {
      closed = true;
      rx.close();
    }
  };
  rx.startReceiving(onBatch, true, coalesce);
  if (mode === 'switch-modes') {
    for (let k = 0; k < 6; k++) {
      blast(port);
      rx.startReceiving(onBatch, k % 2 === 0, k % 2 === 0 ? 0 : undefined);
      await tick();
    }
    rx.stopReceiving();
    rx.startReceiving(onBatch, true, 500);
  }
  // datagrams keep arriving until the socket is closed
  for (let k = 0; k < 200 && got === 0; k++) {
    blast(port);
    await tick();
    await new Promise((r) => setTimeout(r, 1));
  }
  if (got === 0) {
    console.error(`cycle ${c}: nothing received`);
    process.exit(1);
  }
  if (!closed) {
    blast(port);
    closed = true;
    rx.close();
  }
  blast(port);
  await tick();
  if (mode === 'gc-after-close') globalThis.gc?.();
}
for (let i = 0; i < 3; i++) {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 10));
}
tx.close();
clearTimeout(deadline);
console.log(JSON.stringify({ cycles, received, afterClose }));
