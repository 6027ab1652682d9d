/**
 * What the server saw of one variant, and the verdict. The server is the only judge: a variant
 * is *accepted* when a handshake completed and application data arrived after it — what a MITM
 * would read. *Refused* needs proof the client tried: a TCP connection whose first bytes were a
 * TLS ClientHello, and then no application data (an alert, a hang-up mid-handshake, or a
 * completed handshake the client left without sending — a post-handshake check such as a pin).
 * Anything short of a ClientHello (no connection, a connection that sent nothing) is the SUT
 * never trying: an `error` with what it printed, never a pass as "refused". Every connection of
 * a variant counts: application bytes on a plaintext connection (a client that falls back after
 * refusing, or never tries TLS) are what a MITM reads, a failure whatever else happened.
 */
import { check, type Check, type Evidence } from '../../../harness/model/check.ts';
import type { TimedEvent } from '../../lib/tunnel/launch.ts';
import { ACCEPT_MEANS, type Variant } from './variants.ts';

export type Expected = 'accepted' | 'refused';

export type Observed = (
  | { kind: 'accepted'; handshake: string; bytes: number }
  | { kind: 'refused'; how: string }
  | { kind: 'never-tried'; why: string }
) & {
  /** Application bytes that reached the server outside any TLS session (plaintext connections). */
  clear: { bytes: number; connections: number };
};

/** "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA ..." → "alert unknown_ca"; otherwise the code. */
export function describeTlsError(detail: string): string {
  const alert = /ALERT_([A-Z_]+)/.exec(detail);
  if (alert) return `the client sent alert ${alert[1]!.toLowerCase()} (RFC 8446 §6.2)`;
  if (detail.startsWith('CLOSED')) return 'the client hung up mid-handshake without an alert';
  if (/ECONNRESET/.test(detail)) return 'the client reset the connection mid-handshake';
  return `the handshake failed: ${detail.slice(0, 160)}`;
}

/** Bytes that arrived on connections whose first bytes were not TLS (the server counts them to the close). */
function clearBytes(events: readonly TimedEvent[]): { bytes: number; connections: number } {
  const plain = [...new Set(events.filter((e) => e.event === 'not-tls').map((e) => e.session))];
  let bytes = 0;
  for (const s of plain) {
    const close = events.find((e) => e.session === s && e.event === 'close');
    const first = events.find((e) => e.session === s && e.event === 'not-tls');
    bytes += close?.n?.bytes ?? first?.n?.bytes ?? 0;
  }
  return { bytes, connections: plain.length };
}

/** The outcome from one variant's server events: every connection it saw counts. */
export function observe(events: readonly TimedEvent[]): Observed {
  const clear = clearBytes(events);
  const sessions = [...new Set(events.map((e) => e.session).filter((s): s is number => s !== undefined))];
  const of = (s: number, ev: string): TimedEvent | undefined => events.find((e) => e.session === s && e.event === ev);
  for (const s of sessions) {
    const data = of(s, 'app-data');
    const secure = of(s, 'secure');
    if (data && secure) {
      const closed = of(s, 'close');
      return { kind: 'accepted', handshake: secure.detail ?? '', bytes: closed?.n?.bytes ?? data.n?.bytes ?? 0, clear };
    }
  }
  const tried = sessions.filter((s) => of(s, 'client-hello'));
  if (tried.length) {
    const last = tried[tried.length - 1]!;
    const secure = of(last, 'secure');
    const err = of(last, 'tls-error');
    const how = secure
      ? `the client completed the handshake (${secure.detail ?? ''}) ` +
        `and closed without sending application data (a check after the handshake, e.g. a pin)`
      : err
        ? describeTlsError(err.detail ?? '')
        : 'no handshake completed and no application data arrived';
    return { kind: 'refused', how: tried.length > 1 ? `${how}; ${tried.length} attempts` : how, clear };
  }
  const notTls = events.find((e) => e.event === 'not-tls');
  if (notTls)
    return {
      kind: 'never-tried',
      why: `a TCP connection arrived but its first bytes were not a TLS ClientHello (${notTls.detail ?? ''})`,
      clear,
    };
  if (sessions.length)
    return { kind: 'never-tried', why: `${sessions.length} TCP connection(s) arrived but sent no ClientHello`, clear };
  return { kind: 'never-tried', why: 'no TCP connection reached the server', clear };
}

export interface SutReport {
  /** "exited with code 1", "was still running", "was killed by SIGSEGV". */
  ended: string;
  /** Its last output lines. */
  printed: string;
}

const inClear = (c: Observed['clear']): string =>
  `${c.bytes} byte(s) of the request arrived in clear on ${c.connections} plaintext connection(s)`;

export function judge(v: Variant, expected: Expected, o: Observed, sut: SutReport, evidence: Evidence[]): Check {
  const name = `${v} (expect ${expected})`;
  // Application bytes outside a TLS session are what a MITM reads, whatever else the client did.
  if (o.clear.bytes > 0) {
    const clear = inClear(o.clear);
    if (o.kind === 'refused')
      return check.fail(name, `fell back to plaintext after refusing the certificate (${o.how}): ${clear}`, evidence);
    if (o.kind === 'never-tried')
      return check.fail(name, `never tried TLS and sent its request in plaintext: ${clear}`, evidence);
    const accepted = v === 'valid' ? `accepted the valid certificate (handshake ${o.handshake})` : ACCEPT_MEANS[v];
    return check.fail(name, `${accepted}, and also sent its request in plaintext: ${clear}`, evidence);
  }
  if (o.kind === 'never-tried') {
    return check.error(
      name,
      `the SUT never tried TLS with the server (${o.why}), so this is no refusal; ` +
        `it ${sut.ended}; it printed: ${sut.printed}`,
      evidence,
    );
  }
  if (o.kind === 'accepted') {
    const seen = `handshake ${o.handshake}, then ${o.bytes} byte(s) of application data arrived`;
    if (expected === 'accepted') return check.pass(name, `accepted: ${seen}`, evidence);
    return check.fail(name, `${ACCEPT_MEANS[v]} (${seen})`, evidence);
  }
  if (expected === 'refused') return check.pass(name, `refused: ${o.how}`, evidence);
  if (v === 'valid')
    return check.fail(
      name,
      `refused the valid certificate (${o.how}): the client cannot reach a correctly configured server; ` +
        `does it trust \${ca} and use \${server.name} for SNI and verification? It printed: ${sut.printed}`,
      evidence,
    );
  return check.fail(
    name,
    `refused ${v} (${o.how}) although expect.variants says accepted; it printed: ${sut.printed}`,
    evidence,
  );
}

/**
 * A refusal proves something only when the same client, in the same run, completed a handshake
 * on the valid certificate and sent its request: a client that never sends anything "refuses"
 * every certificate. Without that control every passed refusal becomes an error; a failure
 * (an accepted bad certificate, bytes in clear) stands, as it needs no control.
 */
export function requireControl(checks: readonly Check[], control: Check | undefined): Check[] {
  if (control?.verdict === 'pass') return [...checks];
  const why = control
    ? `the client never completed a good handshake and sent its request ` +
      `(valid: ${control.verdict}: ${control.reason.slice(0, 200)})`
    : 'the valid certificate was not run';
  return checks.map((c) =>
    c === control || c.verdict !== 'pass'
      ? c
      : check.error(c.name, `${why}, so its refusals prove nothing (would have been: ${c.reason})`, c.evidence),
  );
}
