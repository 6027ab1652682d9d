// Fuzzes sendBatch re-entered from a getter on the same socket, through the wrapper (staged
// path up to 1024 items, the addon's own path above) and through the raw binding: every
// call must send exactly its own payloads. Each payload names its call and item, a loopback
// receiver counts what arrived, and the output is one JSON line for
// test/native/fuzz-args.test.ts:
//   node --import tsx test/native/fuzz-reentry.ts <seed> <rounds>
import { createRequire } from 'node:module';

import { createUdpSocket, type Datagram, type OutgoingDatagram } from '../../native/index.ts';

interface RawSocket {
  sendBatch(items: OutgoingDatagram[]): number;
  close(): void;
}
const binding = createRequire(import.meta.url)('node-gyp-build')(new URL('../../native', import.meta.url).pathname) as {
  UdpSocket: new (family: 4, reuseAddr: boolean, reusePort: boolean, broadcast: boolean) => RawSocket;
};

const seed = Number(process.argv[2] ?? 1) >>> 0;
const rounds = Number(process.argv[3] ?? 20);

// mulberry32: a small deterministic PRNG, so a failing seed reproduces.
let st = seed || 1;
function rnd(): number {
  st = (st + 0x6d2b79f5) >>> 0;
  let t = st;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number): number => Math.floor(rnd() * n);

const rx = createUdpSocket({ family: 4 });
rx.bind('127.0.0.1', 0);
rx.setBufferSizes(64 << 20, 0);
const port = rx.address().port;
const received = new Map<string, number>();
rx.on('message', (d: Datagram) => {
  const key = d.data.toString('latin1');
  received.set(key, (received.get(key) ?? 0) + 1);
});
rx.startReceiving();
// The wrapper (staged up to 1024 items, the addon's own path above) and the bare binding.
const senders: RawSocket[] = [createUdpSocket({ family: 4 }), new binding.UdpSocket(4, false, false, false)];

let calls = 0;
let reentered = 0;
const expected = new Map<string, number>();
const wrongCounts: string[] = [];

/** A batch whose item getters may send another batch on tx; returns what it sent. */
function batch(tx: RawSocket, depth: number): number {
  const call = calls++;
  const n = 1 + int(rnd() < 0.3 ? 1500 : 40);
  const items: OutgoingDatagram[] = [];
  for (let i = 0; i < n; i++) {
    const payload = Buffer.from(`c${call}i${i}`, 'latin1');
    items.push({ data: payload, address: '127.0.0.1', port });
    expected.set(`c${call}i${i}`, 1);
  }
  const hooks = depth < 2 ? int(3) : 0;
  for (let h = 0; h < hooks; h++) {
    const item = items[int(n)]!;
    const key = (['data', 'address', 'port'] as const)[int(3)]!;
    const value = item[key];
    let fired = false;
    Object.defineProperty(item, key, {
      get() {
        if (!fired) {
          fired = true;
          reentered++;
          batch(tx, depth + 1);
        }
        return value;
      },
    });
  }
  try {
    const sent = tx.sendBatch(items);
    if (sent !== n) wrongCounts.push(`call ${call}: sendBatch returned ${sent} for ${n} items`);
    return sent;
  } catch (e) {
    wrongCounts.push(`call ${call}: ${(e as Error).message}`);
    return -1;
  }
}

for (let r = 0; r < rounds; r++) {
  batch(senders[int(2)]!, 0);
  await new Promise((res) => setTimeout(res, 30));
}
await new Promise((res) => setTimeout(res, 300));
let missing = 0;
let foreign = 0;
let duplicated = 0;
for (const key of expected.keys()) if (!received.has(key)) missing++;
for (const [key, count] of received) {
  if (!expected.has(key)) foreign++;
  else if (count > 1) duplicated++;
}
rx.close();
for (const tx of senders) tx.close();
process.stdout.write(
  `${JSON.stringify({ calls, reentered, datagrams: expected.size, missing, foreign, duplicated, wrongCounts })}\n`,
);
