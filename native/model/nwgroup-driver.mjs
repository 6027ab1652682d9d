// MODEL, NOT macOS: drives nwgroup_darwin.cc's NwGroup (built by run.mjs against the libdispatch
// and Network framework models) through its JS API, in a network namespace of its own whose
// loopback carries multicast, so nothing leaves this machine. Usage: node nwgroup-driver.mjs
// <addon.node>. Prints one line per check; exits 1 on a failed check or a timeout.
import { createRequire } from 'node:module';

const { NwGroup } = createRequire(import.meta.url)(process.argv[2]);
let failures = 0;
const check = (ok, what) => {
  process.stderr.write(`nwgroup model: ${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
  if (!ok) failures++;
};
const timeout = setTimeout(() => {
  check(false, 'the driver finished within 20 s');
  process.exit(1);
}, 20_000);

/** A group whose events are collected; `until(pred)` resolves with the first event matching. */
function group(options) {
  const events = [];
  const waiters = [];
  const g = new NwGroup(options, (e) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const until = (pred) => {
    const seen = events.find(pred);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pred, resolve }));
  };
  return { g, events, until };
}
const state = (s) => (e) => e.type === 'state' && e.state === s;

// Argument errors, before anything starts.
let threw = '';
try {
  new NwGroup({ port: 1 }, () => {});
} catch (e) {
  threw = e.message;
}
check(threw === 'options.group (string) and options.port (number) are required', 'options are checked');
try {
  new NwGroup();
} catch (e) {
  threw = e.message;
}
check(threw === 'NwGroup(options, onEvent)', 'both arguments are required');

const port = 47990;
const a = group({ group: '239.255.0.1', port, interface: 'lo', ttl: 1, loopback: true });
try {
  a.g.send(new Uint8Array([1]));
} catch (e) {
  threw = e.message;
}
check(threw === 'NwGroup is not started or already closed', 'send before start throws');
a.g.start();
try {
  a.g.start();
} catch (e) {
  threw = e.message;
}
check(threw === 'NwGroup already started', 'a second start throws');
const b = group({ group: '239.255.0.1', port }); // no interface: the group without one
b.g.start();
const ready = await a.until(state('ready'));
check(ready.error === undefined, 'a group on lo (found through a path monitor) becomes ready');
await b.until(state('ready'));
check(true, 'a second group on the same port (local endpoint reuse) becomes ready');

try {
  a.g.send('text');
} catch (e) {
  threw = e.message;
}
check(threw === 'send(data: Uint8Array)', 'send takes bytes');
const id = a.g.send(new TextEncoder().encode('hello group'));
const sent = await a.until((e) => e.type === 'sent' && e.id === id);
check(sent.error === undefined, 'the send completes without an error');
const heard = await b.until((e) => e.type === 'message');
// The sender's address as recvfrom reported it (in this namespace the kernel picks 0.0.0.0 for lo).
check(
  heard.data.toString() === 'hello group' && /^\d+\.\d+\.\d+\.\d+$/.test(heard.from),
  `the other group receives it, with the sender's address (${heard.from})`,
);
const own = await a.until((e) => e.type === 'message');
check(own.data.toString() === 'hello group', 'with loopback on, the sender hears its own datagram');

const nope = group({ group: '239.255.0.1', port, interface: 'nc-nope0' });
nope.g.start();
const failed = await nope.until(state('failed'));
check(failed.detail === 'Network framework lists no interface named nc-nope0', 'an unknown interface fails, naming it');
const lateId = nope.g.send(new Uint8Array([1]));
const late = await nope.until((e) => e.type === 'sent' && e.id === lateId);
check(
  late.error?.domain === 'posix' && late.error.code === 57,
  'a send to a group that never existed completes with ENOTCONN (57)',
);
await nope.until(state('cancelled'));
check(true, 'and the group reports cancelled without close()');

const unicast = group({ group: '127.0.0.1', port });
unicast.g.start();
const refused = await unicast.until(state('failed'));
check(/not a multicast group address/.test(refused.detail ?? ''), 'a unicast address is refused as a group');
await unicast.until(state('cancelled'));

const bad = group({ group: '239.255.0.1', port: 1, interface: 'lo' }); // port 1 needs no root here (own netns, root)
bad.g.start();
const badState = await bad.until((e) => e.type === 'state' && (e.state === 'ready' || e.state === 'failed'));
check(
  badState.state === 'ready' || badState.error?.domain === 'posix',
  'a group either starts or fails with a POSIX error',
);
bad.g.close();

for (const x of [a, b]) x.g.close();
await a.until(state('cancelled'));
await b.until(state('cancelled'));
check(true, 'close() ends both groups with cancelled');
try {
  a.g.send(new Uint8Array([1]));
} catch (e) {
  threw = e.message;
}
check(threw === 'NwGroup is not started or already closed', 'send after close throws');
a.g.close(); // a second close is a no-op
await bad.until(state('cancelled'));

clearTimeout(timeout);
const verdict = failures ? 'FAILED' : 'passed';
process.stderr.write(`nwgroup model: ${verdict} (${failures} failure${failures === 1 ? '' : 's'})\n`);
process.exitCode = failures ? 1 : 0;
