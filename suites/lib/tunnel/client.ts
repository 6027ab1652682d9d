/**
 * Reference tunnel client, run as its own process in a lab host so that SIGSTOP of its
 * process group really freezes it (`node --import tsx client.ts --gateway A --port P ...`).
 * Events go to stdout as JSON lines (./events.ts).
 *
 *   --strategy S        heartbeat-naive | kernel-keepalive | node-keepalive | wake-aware
 *   --heartbeat-ms N    app heartbeat period (naive, wake-aware); a PONG must come within N ms
 *   --keepalive i,v,c   kernel-keepalive / node-keepalive: TCP_KEEPIDLE,TCP_KEEPINTVL,TCP_KEEPCNT
 *   --defer-ms N        wake-aware: after a resume, wait N ms before judging or reconnecting
 *                       (a dark wake is shorter than that, so it passes without traffic)
 *   --gap-ms N          a timer firing N ms late means the process was stopped (default 150)
 *   --no-reconnect      report the dead peer and stay down (keepalive.honoured)
 *   --tls-ca F          speak TLS, trusting only the PEM certificate(s) in F; the gateway's
 *                       certificate must verify and name --gateway (IP subjectAltName). A
 *                       certificate that does not verify is `fatal` (exit 4): reconnecting
 *                       cannot fix it, and a clear error beats 500 silent attempts
 *
 * Strategies (known-good and known-bad cases for every verdict):
 * - heartbeat-naive: PING every N ms, reconnect at once on any failure, alert every time.
 * - kernel-keepalive: no app heartbeat; tcp(7) keepalive via the addon; reconnect on error.
 * - node-keepalive: like kernel-keepalive but only Node's setKeepAlive (idle only; interval
 *   and count stay at the kernel defaults) — the known-bad case of keepalive.honoured.
 * - wake-aware: heartbeats while awake; after a resume it stays quiet for --defer-ms, then
 *   verifies the session with one PING before re-handshaking, without a user-facing alert.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { assertSafeDestination, UNICAST_ONLY } from '../../../harness/net/safety.ts';
import { emitEvent, epochNowMs, keepaliveArg, numArg, parseArgs } from './events.ts';
import { onLines } from './lines.ts';
import { applyKeepalive, readKeepalive } from './sockopt.ts';

type Strategy = 'heartbeat-naive' | 'kernel-keepalive' | 'node-keepalive' | 'wake-aware';
const STRATEGIES: Strategy[] = ['heartbeat-naive', 'kernel-keepalive', 'node-keepalive', 'wake-aware'];
/** Bounded: a client that cannot reach its gateway this often gives up (and says so). */
const MAX_CONNECT_ATTEMPTS = 500;
const TICK_MS = 20;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const host = args.get('gateway') ?? '';
  assertSafeDestination(host, UNICAST_ONLY);
  const port = numArg(args, 'port', 0);
  const strategy = (args.get('strategy') ?? 'heartbeat-naive') as Strategy;
  if (!STRATEGIES.includes(strategy)) throw new Error(`--strategy must be one of ${STRATEGIES.join(', ')}`);
  const heartbeatMs = Math.max(10, numArg(args, 'heartbeat-ms', 1000));
  const deferMs = numArg(args, 'defer-ms', 2000);
  const gapMs = numArg(args, 'gap-ms', 150);
  const keepalive = keepaliveArg(args.get('keepalive'));
  const reconnect = args.get('no-reconnect') !== 'true';
  const tlsCa = args.get('tls-ca');
  const ca = tlsCa ? readFileSync(tlsCa) : undefined;
  const usesHeartbeat = strategy === 'heartbeat-naive' || strategy === 'wake-aware';

  let sock: net.Socket | undefined;
  /** The TCP socket under `sock` (the same one without TLS). */
  let rawSock: net.Socket | undefined;
  let session: number | undefined;
  let attempts = 0;
  let pingSeq = 0;
  let pendingPing: { seq: number; deadline: number } | undefined;
  let lastRxEpoch = epochNowMs();
  let lastTick = performance.now();
  let quietUntil = 0;
  let verifying = false;
  let needVerify = false;
  let wantConnect = false;

  /**
   * Resume detection from the clock, as an app would do it: after SIGCONT, libuv runs overdue
   * timers before it reads the signal pipe, so a SIGCONT handler alone comes too late.
   */
  const sawGap = (): boolean => {
    const now = performance.now();
    const gap = now - lastTick;
    lastTick = now;
    if (gap <= gapMs) return false;
    emitEvent('client', 'resumed', { session, n: { gapMs: Math.round(gap) } });
    if (strategy === 'wake-aware') quietUntil = now + deferMs;
    return true;
  };

  const fail = (why: string): void => {
    const s = sock;
    sock = undefined;
    pendingPing = undefined;
    s?.destroy();
    rawSock?.destroy(); // a TLS socket's destroy need not reach the TCP socket it wraps
    rawSock = undefined;
    if (strategy === 'wake-aware' && (verifying || performance.now() < quietUntil)) {
      emitEvent('client', 'session-expired', { session, detail: why });
    } else {
      emitEvent('client', 'alert', { session, detail: `session disconnected: ${why}` });
    }
    verifying = false;
    const hadSession = session !== undefined;
    session = undefined;
    if (!reconnect) return;
    // wake-aware reconnects from its tick, after the quiet period (a timer set now would fire
    // the moment the next dark wake resumes the process); the others go at once, with a
    // short pause only when the last attempt never got a session (no hot loop).
    if (strategy === 'wake-aware') wantConnect = true;
    else setTimeout(connect, hadSession ? 0 : 50);
  };

  const connect = (): void => {
    if (sock) return;
    if (++attempts > MAX_CONNECT_ATTEMPTS) {
      emitEvent('client', 'fatal', { detail: `gave up after ${MAX_CONNECT_ATTEMPTS} connection attempts` });
      process.exit(3);
    }
    emitEvent('client', attempts === 1 ? 'connecting' : 'reconnect', { n: { attempt: attempts } });
    // With TLS, 'secureConnect' (handshake done, certificate verified) is what 'connect' is
    // without it; keepalive goes on `raw`, the TCP socket under the TLS one. `host` is the IP
    // the certificate's subjectAltName must name.
    const raw = net.connect({ host, port, noDelay: true });
    const s: net.Socket = ca ? tls.connect({ socket: raw, host, ca }) : raw;
    sock = s;
    rawSock = raw;
    const connectTimer = setTimeout(
      () => {
        if (sock === s && session === undefined) fail('connect timed out');
      },
      Math.max(1000, heartbeatMs * 2),
    );
    s.once(ca ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      if (s instanceof tls.TLSSocket) {
        const c = s.getCipher();
        emitEvent('client', 'tls-handshake', {
          detail: `${s.getProtocol() ?? '?'} ${c.name}; certificate verified against ${tlsCa}`,
        });
      }
      if (strategy === 'kernel-keepalive' && keepalive) {
        applyKeepalive(raw, keepalive).then(
          (got) =>
            emitEvent('client', 'keepalive-set', {
              n: { idleSec: got.idleSec, intervalSec: got.intervalSec, count: got.count },
            }),
          (err: Error) => emitEvent('client', 'keepalive-error', { detail: err.message }),
        );
      } else if (strategy === 'node-keepalive' && keepalive) {
        raw.setKeepAlive(true, keepalive.idleSec * 1000);
        // Read back what the kernel now holds, so the report shows the defaults Node left in place.
        readKeepalive(raw).then(
          (got) =>
            emitEvent('client', 'keepalive-set', {
              detail: 'node setKeepAlive (idle only)',
              n: { idleSec: got.idleSec, intervalSec: got.intervalSec, count: got.count },
            }),
          () =>
            emitEvent('client', 'keepalive-set', {
              detail: 'node setKeepAlive (idle only)',
              n: { idleSec: keepalive.idleSec },
            }),
        );
      }
      s.write('HELLO\n');
    });
    onLines(s, (line) => {
      lastRxEpoch = epochNowMs();
      if (line.startsWith('WELCOME')) {
        session = Number(line.slice(8)) || undefined;
        emitEvent('client', 'handshake', { session });
      } else if (line.startsWith('PONG')) {
        pendingPing = undefined;
        if (verifying) {
          verifying = false;
          emitEvent('client', 'verified', { session });
        }
      }
    });
    const onError = (err: NodeJS.ErrnoException): void => {
      if (sock !== s) return;
      if (ca && isCertError(err)) {
        emitEvent('client', 'fatal', {
          detail: `TLS: the gateway's certificate did not verify against ${tlsCa}: ${err.code} (${err.message})`,
        });
        process.exit(4);
      }
      if (!usesHeartbeat) {
        emitEvent('client', 'dead-peer', { session, detail: err.code ?? err.message, n: { lastRxTs: lastRxEpoch } });
      }
      fail(err.code ?? err.message);
    };
    s.on('error', onError);
    s.on('close', () => {
      if (sock === s) fail('connection closed');
    });
    // Under TLS a kernel error (ECONNREFUSED, ETIMEDOUT) can land on the TCP socket only.
    if (s !== raw) {
      raw.on('error', onError);
      raw.on('close', () => {
        if (sock === s) fail('connection closed');
      });
    }
  };

  const ping = (): void => {
    if (!sock || session === undefined || sock.destroyed) return;
    pendingPing = { seq: ++pingSeq, deadline: performance.now() + heartbeatMs };
    sock.write(`PING ${pingSeq}\n`);
  };

  // One timer drives heartbeats, PONG deadlines and wake handling: small and easy to reason about.
  let nextBeat = performance.now() + heartbeatMs;
  setInterval(() => {
    const resumed = sawGap();
    const now = performance.now();
    if (strategy === 'wake-aware') {
      if (resumed) {
        needVerify = true;
        pendingPing = undefined; // a PONG owed across a sleep says nothing about the session
      }
      if (now < quietUntil) return; // a short (dark) wake passes without traffic
      if (wantConnect && !sock) {
        wantConnect = false;
        connect();
        return;
      }
      if (needVerify) {
        needVerify = false;
        nextBeat = now + heartbeatMs;
        if (sock && session !== undefined) {
          verifying = true; // verify before re-handshaking: one PING, a PONG within the period
          ping();
        }
        return;
      }
    }
    if (!usesHeartbeat) return;
    if (pendingPing && now > pendingPing.deadline) {
      fail(`no heartbeat reply within ${heartbeatMs} ms`);
      return;
    }
    if (now >= nextBeat) {
      nextBeat = now + heartbeatMs;
      if (!pendingPing) ping();
    }
  }, TICK_MS);

  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  connect();
}

/** Certificate verification failures (OpenSSL X509 codes, Node's hostname check). */
function isCertError(err: NodeJS.ErrnoException): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/.test(err.code ?? '');
}

try {
  main();
} catch (err) {
  emitEvent('client', 'fatal', { detail: (err as Error).message });
  process.exit(2);
}
