// Fuzzes the compiled addon's argument handling with hostile values: getters and Proxy traps
// that throw, getters that detach an earlier item's buffer, huge and sparse lengths, wrong
// types, detached buffers. Every call must return or throw a JS value; an abort (exit 134,
// "terminate called …") or a crash is the failure test/native/fuzz-args.test.ts looks for,
// which is why this runs in its own process:
//   node test/native/fuzz-args.mjs <seed> <calls>
// Plain .mjs loading the binding directly, so it also runs under valgrind.
// Safety: every destination is loopback (127.0.0.1, ::1) or not an address at all (no digits,
// so no random string parses as one); memberships only on lo (ifindex 1).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const b = require('node-gyp-build')(new URL('../../native', import.meta.url).pathname);

const seed = Number(process.argv[2] ?? 1) >>> 0;
const calls = Number(process.argv[3] ?? 2000);

// mulberry32: a small deterministic PRNG, so a failing seed reproduces.
let st = seed || 1;
function rnd() {
  st = (st + 0x6d2b79f5) >>> 0;
  let t = st;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const int = (n) => Math.floor(rnd() * n);

class Marker extends Error {}
const boom = () => {
  throw new Marker('hostile getter');
};

function detached() {
  const ab = new ArrayBuffer(16);
  structuredClone(ab, { transfer: [ab] });
  return new Uint8Array(ab);
}
const garbageString = () => {
  const chars = 'abcxyz:%[]-_ \u00e9\u4e2d\0';
  return Array.from({ length: int(12) }, () => chars[int(chars.length)]).join('');
};
const throwingObject = () =>
  new Proxy({}, { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom });

// Values of every kind, some hostile.
function value(depth = 0) {
  const k = int(depth > 1 ? 14 : 18);
  switch (k) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return pick([0, -1, 1, 0.5, NaN, Infinity, -Infinity, -0, 2 ** 31, 2 ** 32, 2 ** 53, 65535, 65536, 1e308]);
    case 3:
      return pick(['127.0.0.1', '::1']);
    case 4:
      return garbageString();
    case 5:
      return 'x'.repeat(pick([100, 10_000, 1 << 20]));
    case 6:
      return Symbol('s');
    case 7:
      return 10n ** 30n;
    case 8:
      return () => 1;
    case 9:
      return Buffer.alloc(int(64));
    case 10:
      return detached();
    case 11:
      return throwingObject();
    case 12:
      return new Int32Array(int(8));
    case 13:
      return { valueOf: boom, toString: boom, [Symbol.toPrimitive]: boom };
    case 14:
      return datagram(depth + 1);
    case 15:
      return array(depth + 1);
    case 16: {
      const a = [];
      a.length = pick([2 ** 32 - 1, 70_000, 1025]);
      return a;
    }
    default:
      return new Proxy([1, 2, 3], { get: boom });
  }
}

// {data, address, port}, now and then with a throwing getter or a getter that detaches
// another datagram's buffer.
function datagram(depth, others = []) {
  const d = {
    data: rnd() < 0.7 ? Buffer.from('fuzz') : value(depth + 1),
    address: rnd() < 0.8 ? pick(['127.0.0.1', '::1']) : value(depth + 1),
    port: rnd() < 0.8 ? 9 : value(depth + 1),
  };
  const r = rnd();
  const key = pick(['data', 'address', 'port']);
  if (r < 0.15) Object.defineProperty(d, key, { get: boom, enumerable: true });
  else if (r < 0.25 && others.length) {
    const victim = pick(others);
    Object.defineProperty(d, key, {
      enumerable: true,
      get() {
        if (victim.data instanceof Uint8Array && victim.data.buffer.byteLength > 0) {
          try {
            structuredClone(victim.data.buffer, { transfer: [victim.data.buffer] });
          } catch {
            /* a pooled Buffer's memory cannot be transferred */
          }
        }
        return key === 'port' ? 9 : key === 'address' ? '127.0.0.1' : Buffer.from('y');
      },
    });
  } else if (r < 0.3) return new Proxy(d, { get: (t, p) => (rnd() < 0.5 ? boom() : t[p]) });
  return d;
}

function array(depth) {
  const n = pick([1, 2, 5, 1024, 1025, 1100]);
  const out = [];
  for (let i = 0; i < n; i++) {
    const own = { data: new Uint8Array(new ArrayBuffer(8)), address: '127.0.0.1', port: 9 };
    out.push(rnd() < 0.995 ? own : rnd() < 0.5 ? datagram(depth, out) : value(depth + 1));
  }
  if (rnd() < 0.1) Object.defineProperty(out, int(n), { get: boom });
  return out;
}

const args = (n) => Array.from({ length: n }, () => value());

const v4 = new b.UdpSocket(4, false, false, false);
v4.bind('127.0.0.1', 0);
const v6 = new b.UdpSocket(6, false, false, false);
v6.bind('::1', 0);
const sinkPort = v4.address().port;

// Each target is one addon entry point with a generator of (mostly hostile) arguments.
const targets = [
  () => new b.UdpSocket(...args(5)),
  () => new b.UdpSocket(pick([4, 6]), value(), value(), value(), pick([undefined, value()])).close(),
  () => b.listInterfaces(pick([undefined, value()])),
  () => b.listInterfacesAsync(pick([undefined, value()])).catch(() => {}),
  () => b.setTcpKeepalive(pick([-1, 1e9, NaN, value()]), value(), value(), value()),
  () => b.getTcpKeepalive(pick([-1, 1e9, v4.fd, value()])),
  () => pick([v4, v6]).send(value(), value(), value()),
  () => pick([v4, v6]).send(Buffer.from('z'), pick(['127.0.0.1', '::1']), pick([sinkPort, value()])),
  () => pick([v4, v6]).sendBatch(rnd() < 0.5 ? array(0) : value()),
  () => v4.sendBatch(array(0)),
  () => pick([v4, v6]).bind(value(), value()),
  () => pick([v4, v6]).bindToDevice(value()),
  () => pick([v4, v6]).setMulticastInterface(value()),
  () => pick([v4, v6]).addMembership(pick(['239.255.0.1', 'ff02::114', value()]), pick([1, -1, 2 ** 40, NaN, value()])),
  () => pick([v4, v6]).dropMembership(value(), value()),
  () => pick([v4, v6]).setMulticastLoopback(value()),
  () => pick([v4, v6]).setMulticastTTL(value()),
  () => pick([v4, v6]).setBroadcast(value()),
  () => pick([v4, v6]).setBufferSizes(value(), value()),
  () => {
    const s = new b.UdpSocket(4, false, false, false);
    s.startReceiving(value());
    s.close();
  },
  // the receive thread: hostile flag / window, then stop, switch or close in any order
  () => {
    const s = new b.UdpSocket(pick([4, 6]), false, false, false);
    try {
      s.recvBuffers();
      s.startReceiving(() => {}, value(), pick([0, 1000, value()]));
    } finally {
      pick([
        () => s.close(),
        () => {
          s.stopReceiving();
          s.close();
        },
        () => {
          s.startReceiving(() => {});
          s.close();
        },
        () => {
          s.unref();
          s.ref();
          s.close();
        },
      ])();
    }
  },
  () => {
    const s = new b.UdpSocket(4, false, false, false);
    try {
      s.startReceiving(
        pick([() => {}, value()]),
        true,
        pick([0, 1, 999999, 1000000, 1000001, -1, 0.5, NaN, 2 ** 53, '10', 10n, value()]),
      );
    } finally {
      s.close();
    }
  },
  () => b.sendTo(pick([v4.handle(), value()]), value(), value(), value()),
  () => b.sendTo(v4.handle(), Buffer.from('q'), '127.0.0.1', sinkPort),
  () => b.sendLast(pick([v4.handle(), v6.handle(), value()]), value()),
  () =>
    b.sendStaged(
      pick([v4.handle(), value()]),
      pick([new Uint8Array(64), value()]),
      pick([0, 1, 3, 2 ** 32 - 1, value()]),
      pick([new Int32Array([1, 1, 1]), new Int32Array([-1, 99, 2 ** 31 - 1]), value()]),
      pick([new Int32Array(3), new Int32Array([0, 5, -1]), value()]),
      pick([['127.0.0.1', 9], array(0), Object.defineProperty(['127.0.0.1', 9], 1, { get: boom }), value()]),
      ...pick([
        [],
        [undefined],
        [new Int32Array([0, 0, 63])],
        [new Int32Array([0, 64, -1])],
        [new Int32Array([2 ** 31 - 1, 0, 0])],
        [new Int32Array(1)],
        [value()],
      ]),
    ),
  () => pick([v4, v6]).recvInfo(),
  () => {
    const h = v4.handle();
    const stage = new Uint8Array(8);
    const dests = ['127.0.0.1', 9];
    Object.defineProperty(dests, 0, {
      get() {
        try {
          structuredClone(stage.buffer, { transfer: [stage.buffer] });
        } catch {
          /* already */
        }
        return '127.0.0.1';
      },
    });
    return b.sendStaged(h, stage, 1, new Int32Array([8]), new Int32Array([0]), dests);
  },
];

const counts = { calls: 0, returned: 0, threwError: 0, threwMarker: 0 };
for (let i = 0; i < calls; i++) {
  const t = pick(targets);
  counts.calls++;
  try {
    t();
    counts.returned++;
  } catch (e) {
    if (e instanceof Marker) counts.threwMarker++;
    else if (e instanceof Error) counts.threwError++;
    else {
      console.error(`call ${i} (target ${targets.indexOf(t)}) threw a non-Error: ${String(e)}`);
      process.exit(1);
    }
  }
}
v4.close();
v6.close();
console.log(JSON.stringify({ seed, ...counts }));
