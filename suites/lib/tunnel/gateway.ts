/**
 * Gateway emulator: a TCP tunnel endpoint with dead-peer detection, run as its own process in
 * a lab host (`node --import tsx gateway.ts --port 4500 --dpd app-heartbeat ...`). Events go
 * to stdout as JSON lines (./events.ts); SIGUSR2 prints a `status` event (open sessions).
 *
 *   --address A        listen address (default 0.0.0.0; lab or loopback only)
 *   --port P           listen port (0 = any; the `listening` event says which)
 *   --dpd MODE         app-heartbeat | tcp-keepalive | none
 *   --dpd-timeout-ms N app-heartbeat: drop a session that sent nothing for N ms
 *   --keepalive i,v,c  tcp-keepalive: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (tcp(7)) on accepted sockets
 *   --mode MODE        reference (HELLO/WELCOME, PING/PONG) | agnostic (any bytes = liveness,
 *                      a new TCP connection = a handshake: for a SUT that speaks its own protocol)
 *   --echo             agnostic mode: echo what arrives
 *   --tls-cert F --tls-key F
 *                      a TLS server with this PEM certificate and key: a session (and, agnostic,
 *                      a handshake) starts only when a TLS handshake completes; each completed one
 *                      is a `tls-handshake` event with the protocol and cipher, a failed one `tls-error`
 *
 * Its own lateness is reported: an event-loop stall over 25 ms is a `stall` event (n.lagMs), so
 * the scenario can tell a DPD decision the emulator made late from the client's doing.
 *
 * A DPD drop resets the connection (RST, not FIN): a FIN would be retransmitted with backoff
 * and reach a sleeping client at an arbitrary later time, while an RST is sent once and lost
 * if the client's link is down — as a real gateway's state loss looks to the client: its next
 * packet after waking draws an RST.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { assertSafeBindAddress } from '../../../harness/net/safety.ts';
import { emitEvent, keepaliveArg, numArg, parseArgs } from './events.ts';
import { onLines } from './lines.ts';
import { applyKeepalive } from './sockopt.ts';
import { LoopLagSampler } from '../lateness/loop-lag.ts';

type Dpd = 'app-heartbeat' | 'tcp-keepalive' | 'none';

interface Session {
  id: number;
  sock: net.Socket;
  /** The TCP socket under `sock` (the same one without TLS): RST and keepalive act on it. */
  raw: net.Socket;
  lastRx: number;
  closed: boolean;
}

const MAX_SESSIONS = 256;
const MAX_STALL_EVENTS = 500;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const address = args.get('address') ?? '0.0.0.0';
  assertSafeBindAddress(address);
  const port = numArg(args, 'port', 0);
  const dpd = (args.get('dpd') ?? 'app-heartbeat') as Dpd;
  if (!['app-heartbeat', 'tcp-keepalive', 'none'].includes(dpd))
    throw new Error(`--dpd must be app-heartbeat, tcp-keepalive or none, got ${dpd}`);
  const dpdTimeoutMs = numArg(args, 'dpd-timeout-ms', 3000);
  const keepalive = keepaliveArg(args.get('keepalive'));
  if (dpd === 'tcp-keepalive' && !keepalive)
    throw new Error('--dpd tcp-keepalive needs --keepalive idle,interval,count');
  const agnostic = args.get('mode') === 'agnostic';
  const echo = args.get('echo') === 'true';
  const tlsCtx = tlsContext(args.get('tls-cert'), args.get('tls-key'));

  let stalls = 0;
  new LoopLagSampler(() => performance.now(), {
    intervalMs: 10,
    thresholdMs: 25,
    onStall: (x) => {
      if (++stalls <= MAX_STALL_EVENTS) emitEvent('gateway', 'stall', { n: { lagMs: Math.round(x.lagMs) } });
    },
  }).start();

  const sessions = new Map<number, Session>();
  let nextId = 1;
  let connections = 0;
  let tlsSessions = 0;

  const end = (s: Session, event: string, detail: string, reset: boolean): void => {
    if (s.closed) return;
    s.closed = true;
    sessions.delete(s.id);
    emitEvent('gateway', event, { session: s.id, detail });
    // resetAndDestroy needs the TCP handle; a TLSSocket's handle is the TLS wrap around it.
    if (reset) s.raw.resetAndDestroy();
    s.sock.destroy();
  };

  const server = net.createServer((raw) => {
    connections++;
    if (sessions.size >= MAX_SESSIONS) {
      raw.resetAndDestroy();
      return;
    }
    const peer = `${raw.remoteAddress}:${raw.remotePort}`;
    // Wrapping the accepted TCP socket ourselves (rather than tls.createServer) keeps `raw`
    // in hand for keepalive on its fd and for the RST of a DPD drop.
    const sock: net.Socket = tlsCtx ? new tls.TLSSocket(raw, { isServer: true, secureContext: tlsCtx }) : raw;
    let s: Session | undefined;
    let secured = !tlsCtx;
    const handshake = (): Session => {
      const sess: Session = { id: nextId++, sock, raw, lastRx: performance.now(), closed: false };
      sessions.set(sess.id, sess);
      emitEvent('gateway', 'handshake', {
        session: sess.id,
        detail: peer,
        n: { connections, ...(tlsCtx ? { tlsSessions } : {}) },
      });
      return sess;
    };
    if (sock instanceof tls.TLSSocket) {
      sock.on('secure', () => {
        secured = true;
        tlsSessions++;
        const c = sock.getCipher();
        emitEvent('gateway', 'tls-handshake', {
          detail: `${peer} ${sock.getProtocol() ?? '?'} ${c.name}`,
          n: { tlsSessions },
        });
        if (agnostic) s = handshake();
      });
    } else if (agnostic) {
      s = handshake();
    }
    if (keepalive) {
      applyKeepalive(raw, keepalive).then(
        (got) =>
          emitEvent('gateway', 'keepalive-set', {
            session: s?.id,
            n: { idleSec: got.idleSec, intervalSec: got.intervalSec, count: got.count },
          }),
        (err: Error) => emitEvent('gateway', 'keepalive-error', { detail: err.message }),
      );
    }
    sock.on('data', (chunk: Buffer) => {
      if (s) s.lastRx = performance.now();
      if (agnostic && echo && !sock.destroyed) sock.write(chunk);
    });
    if (!agnostic) {
      onLines(sock, (line) => {
        if (line.startsWith('HELLO')) {
          if (!s) s = handshake();
          sock.write(`WELCOME ${s.id}\n`);
        } else if (line.startsWith('PING') && s && !sock.destroyed) {
          sock.write(`PONG${line.slice(4)}\n`);
        }
      });
    }
    // A client that does not trust the certificate hangs up mid-handshake (an error, or only a
    // close): reported once, as the reason a SUT never got a session.
    const tlsFailed = (why: string): void => {
      secured = true;
      emitEvent('gateway', 'tls-error', { detail: `${peer}: TLS handshake failed: ${why}`.replace(/\s+/g, ' ') });
      sock.destroy();
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      if (!secured) return tlsFailed(`${err.code ?? ''} ${err.message}`);
      if (!s) return;
      // ETIMEDOUT on a socket with SO_KEEPALIVE is the kernel's dead-peer verdict (tcp(7)).
      if (err.code === 'ETIMEDOUT' && dpd === 'tcp-keepalive')
        end(s, 'dpd-drop', 'tcp keepalive: the peer answered no probe (ETIMEDOUT)', false);
      else end(s, 'disconnect', err.code ?? err.message, false);
    };
    sock.on('error', onError);
    // With TLS, kernel errors (ETIMEDOUT) may surface on the TCP socket rather than the wrap.
    if (sock !== raw) raw.on('error', onError);
    sock.on('close', () => {
      if (!secured) tlsFailed('the client closed the connection before it completed');
      if (s) end(s, 'disconnect', 'peer closed', false);
    });
  });

  // App-heartbeat DPD: a quarter of the timeout as the check period keeps the drop within 25 % late.
  const dpdTimer =
    dpd === 'app-heartbeat'
      ? setInterval(
          () => {
            const now = performance.now();
            for (const s of [...sessions.values()]) {
              const silent = now - s.lastRx;
              if (silent > dpdTimeoutMs)
                end(
                  s,
                  'dpd-drop',
                  `app heartbeat: nothing received for ${Math.round(silent)} ms (timeout ${dpdTimeoutMs} ms)`,
                  true,
                );
            }
          },
          Math.max(5, Math.floor(dpdTimeoutMs / 4)),
        )
      : undefined;

  process.on('SIGUSR2', () => {
    const open = [...sessions.keys()];
    emitEvent('gateway', 'status', { detail: open.join(','), n: { open: open.length, connections } });
  });
  const shutdown = (): void => {
    if (dpdTimer) clearInterval(dpdTimer);
    for (const s of sessions.values()) s.sock.destroy();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  server.on('error', (err) => {
    emitEvent('gateway', 'fatal', { detail: err.message });
    process.exit(1);
  });
  server.listen(port, address, () => {
    const a = server.address() as net.AddressInfo;
    emitEvent('gateway', 'listening', {
      detail: `${a.address}:${a.port} dpd=${dpd}${agnostic ? ' agnostic' : ''}${tlsCtx ? ' tls' : ''}`,
      n: { port: a.port },
    });
  });
}

/** The server's TLS context from PEM files, or undefined for plain TCP (both or neither). */
function tlsContext(cert: string | undefined, key: string | undefined): tls.SecureContext | undefined {
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new Error('--tls-cert and --tls-key go together');
  return tls.createSecureContext({ cert: readFileSync(cert), key: readFileSync(key) });
}

try {
  main();
} catch (err) {
  emitEvent('gateway', 'fatal', { detail: (err as Error).message });
  process.exit(2);
}
