/**
 * tls.client-verifies without a lab: the run-time certificates read back by Node's own X.509
 * parser (an independent reader, not @peculiar/x509), the variant plan, and the server-side
 * verdict from event sequences — accepted, refused (alert / post-handshake hang-up) and the
 * never-tried cases that must be errors, not passes.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spkiPin } from '../../suites/lib/tls/certs.ts';
import { judge, observe, requireControl } from '../../suites/tls/lib/outcome.ts';
import { isClientHello } from '../../suites/tls/lib/server.ts';
import { makeRunPki, presentedFor } from '../../suites/tls/lib/variants.ts';
import { planVariants } from '../../suites/tls/client-verifies.ts';
import type { TimedEvent } from '../../suites/lib/tunnel/launch.ts';

const NAME = 'tls-server.netconform.test';
const pki = await makeRunPki(NAME);
const root = new X509Certificate(pki.caPem);
const chainOf = (pem: string): X509Certificate[] =>
  pem
    .split(/(?<=-----END CERTIFICATE-----\n)/)
    .filter((p) => p.includes('BEGIN'))
    .map((p) => new X509Certificate(p));

describe('variant certificates (read by node:crypto)', () => {
  it('valid: issued by the run root for the name, in date, carrying the pinned key', async () => {
    const [leaf] = chainOf((await presentedFor('valid', pki)).chainPem);
    expect(leaf!.checkIssued(root) && leaf!.verify(root.publicKey)).toBe(true);
    expect(leaf!.checkHost(NAME)).toBe(NAME);
    expect(new Date(leaf!.validTo).getTime()).toBeGreaterThan(Date.now());
    const spki = leaf!.publicKey.export({ type: 'spki', format: 'der' });
    expect(createHash('sha256').update(spki).digest('base64')).toBe(await spkiPin(pki.pinned));
    expect(root.ca).toBe(true);
    expect(leaf!.ca).toBe(false);
  });

  it('each bad variant is bad in exactly its own way', async () => {
    const leafOf = async (v: Parameters<typeof presentedFor>[0]): Promise<X509Certificate> =>
      chainOf((await presentedFor(v, pki)).chainPem)[0]!;
    const untrusted = await leafOf('untrusted-ca');
    expect(untrusted.issuer).toBe(root.subject); // same CA name …
    expect(untrusted.verify(root.publicKey)).toBe(false); // … another key
    expect((await leafOf('wrong-name')).checkHost(NAME)).toBeUndefined();
    expect(new Date((await leafOf('expired')).validTo).getTime()).toBeLessThan(Date.now());
    expect(new Date((await leafOf('not-yet-valid')).validFrom).getTime()).toBeGreaterThan(Date.now());
    const self = await leafOf('self-signed');
    expect(self.verify(self.publicKey) && !self.verify(root.publicKey)).toBe(true);
    const mi = chainOf((await presentedFor('missing-intermediate', pki)).chainPem);
    expect(mi).toHaveLength(1); // the leaf only
    expect(mi[0]!.checkIssued(root)).toBe(false);
    expect(mi[0]!.issuer).toMatch(/intermediate/);
    expect((await leafOf('weak-key')).publicKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect((await leafOf('weak-key')).verify(root.publicKey)).toBe(true);
    const sha1 = await leafOf('sha1-signature');
    expect(sha1.verify(root.publicKey)).toBe(true);
    // ecdsa-with-SHA1 is OID 1.2.840.10045.4.1 (RFC 3279 §2.2.3): 06 07 2a 86 48 ce 3d 04 01
    expect(sha1.raw.includes(Buffer.from('06072a8648ce3d0401', 'hex'))).toBe(true);
    const other = await leafOf('pinned-mismatch');
    expect(other.verify(root.publicKey) && other.checkHost(NAME) === NAME).toBe(true);
    expect(
      createHash('sha256')
        .update(other.publicKey.export({ type: 'spki', format: 'der' }))
        .digest('base64'),
    ).not.toBe(await spkiPin(pki.pinned));
  });
});

describe('variant plan', () => {
  it('default: all but pinned-mismatch, only valid accepted; pins adds pinned-mismatch', () => {
    const d = planVariants({ pins: false });
    expect(d).toHaveLength(9);
    expect(Array.isArray(d) && d.filter(([, x]) => x === 'accepted').map(([v]) => v)).toEqual(['valid']);
    expect(Array.isArray(planVariants({ pins: true })) && (planVariants({ pins: true }) as unknown[]).length).toBe(10);
  });
  it('expect.variants selects and sets; pinned-mismatch without pins is an error', () => {
    expect(planVariants({ pins: false, variants: { 'wrong-name': 'accepted', valid: 'accepted' } })).toEqual([
      ['valid', 'accepted'],
      ['wrong-name', 'accepted'],
    ]);
    // The valid certificate is the control: always run, first, and never expected refused.
    expect(planVariants({ pins: false, variants: { expired: 'refused' } })).toEqual([
      ['valid', 'accepted'],
      ['expired', 'refused'],
    ]);
    expect(planVariants({ pins: false, variants: { valid: 'refused' } })).toMatch(/valid certificate is the control/);
    expect(planVariants({ pins: false, variants: { 'pinned-mismatch': 'refused' } })).toMatch(/expect\.pins is false/);
  });
});

const ev = (event: string, session?: number, detail?: string, n?: Record<string, number>): TimedEvent => ({
  ts: 0,
  t: 0,
  src: 'tls-server',
  who: 's',
  event,
  session,
  detail,
  n,
});
const sut = { ended: 'exited with code 3', printed: 'refused: [SSL] boom' };

describe('server-side verdict', () => {
  it('accepted needs a completed handshake and application data; a wrong acceptance names its meaning', () => {
    const o = observe([
      ev('tcp-accept', 1),
      ev('client-hello', 1),
      ev('secure', 1, 'TLSv1.3 X sni=a'),
      ev('app-data', 1),
      ev('close', 1, undefined, { bytes: 28 }),
    ]);
    expect(o).toEqual({
      kind: 'accepted',
      handshake: 'TLSv1.3 X sni=a',
      bytes: 28,
      clear: { bytes: 0, connections: 0 },
    });
    const c = judge('untrusted-ca', 'refused', o, sut, []);
    expect(c.verdict).toBe('fail');
    expect(c.reason).toMatch(
      /^accepted a certificate from an untrusted CA: a MITM proxy would read this client's traffic \(handshake TLSv1\.3 X sni=a, then 28 byte/,
    );
    expect(judge('valid', 'accepted', o, sut, []).verdict).toBe('pass');
  });

  it('refused: the alert is named; a handshake left without data (a pin check) is a refusal too', () => {
    const alert = observe([
      ev('tcp-accept', 1),
      ev('client-hello', 1),
      ev('tls-error', 1, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA x'),
      ev('close', 1),
    ]);
    expect(alert).toEqual({
      kind: 'refused',
      how: 'the client sent alert unknown_ca (RFC 8446 §6.2)',
      clear: { bytes: 0, connections: 0 },
    });
    expect(judge('self-signed', 'refused', alert, sut, []).verdict).toBe('pass');
    const valid = judge('valid', 'accepted', alert, sut, []);
    expect(valid.verdict).toBe('fail');
    expect(valid.reason).toMatch(/^refused the valid certificate \(the client sent alert unknown_ca/);
    const pin = observe([
      ev('tcp-accept', 1),
      ev('client-hello', 1),
      ev('secure', 1, 'TLSv1.3 X'),
      ev('close', 1, undefined, { bytes: 0 }),
    ]);
    expect(pin.kind === 'refused' && pin.how).toMatch(
      /completed the handshake .* closed without sending application data/,
    );
  });

  it('no connection, no ClientHello, or non-TLS bytes: an error with what the SUT printed, never a refusal', () => {
    const crash = { ended: 'exited with code 9', printed: 'Traceback: boom' };
    for (const [events, why] of [
      [[], /no TCP connection reached the server/],
      [[ev('tcp-accept', 1), ev('close', 1)], /1 TCP connection\(s\) arrived but sent no ClientHello/],
    ] as const) {
      const c = judge('untrusted-ca', 'refused', observe(events), crash, []);
      expect(c.verdict).toBe('error');
      expect(c.reason).toMatch(why);
      expect(c.reason).toMatch(/so this is no refusal; it exited with code 9; it printed: Traceback: boom$/);
    }
  });

  it('bytes in clear fail every variant: a fallback after refusing, a plaintext-only client, and beside a session', () => {
    const fallback = observe([
      ev('tcp-accept', 1),
      ev('client-hello', 1),
      ev('tls-error', 1, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA x'),
      ev('close', 1),
      ev('tcp-accept', 2),
      ev('not-tls', 2, '474554202f6e6574', { bytes: 10 }),
      ev('close', 2, undefined, { bytes: 28 }),
    ]);
    expect(fallback).toMatchObject({ kind: 'refused', clear: { bytes: 28, connections: 1 } });
    const c = judge('untrusted-ca', 'refused', fallback, sut, []);
    expect(c.verdict).toBe('fail');
    expect(c.reason).toBe(
      'fell back to plaintext after refusing the certificate (the client sent alert unknown_ca (RFC 8446 §6.2)): 28 byte(s) of the request arrived in clear on 1 plaintext connection(s)',
    );
    const plainOnly = observe([
      ev('tcp-accept', 1),
      ev('not-tls', 1, '68656c6c6f', { bytes: 14 }),
      ev('close', 1, undefined, { bytes: 14 }),
    ]);
    expect(judge('untrusted-ca', 'refused', plainOnly, sut, []).reason).toMatch(
      /^never tried TLS and sent its request in plaintext: 14 byte/,
    );
    const both = observe([
      ev('tcp-accept', 1),
      ev('client-hello', 1),
      ev('secure', 1, 'TLSv1.3 X'),
      ev('app-data', 1),
      ev('close', 1, undefined, { bytes: 28 }),
      ev('tcp-accept', 2),
      ev('not-tls', 2, '68656c6c6f', { bytes: 5 }),
    ]);
    const valid = judge('valid', 'accepted', both, sut, []);
    expect([valid.verdict, valid.reason]).toEqual([
      'fail',
      'accepted the valid certificate (handshake TLSv1.3 X), and also sent its request in plaintext: 5 byte(s) of the request arrived in clear on 1 plaintext connection(s)',
    ]);
  });

  it('a refusal without a good handshake on the valid certificate proves nothing: an error, never a pass', () => {
    const hung = observe([
      ev('tcp-accept', 1),
      ev('client-hello', 1),
      ev('secure', 1, 'TLSv1.3 X'),
      ev('close', 1, undefined, { bytes: 0 }),
    ]);
    const refusedBad = judge(
      'self-signed',
      'refused',
      observe([ev('tcp-accept', 1), ev('client-hello', 1), ev('tls-error', 1, 'CLOSED x'), ev('close', 1)]),
      sut,
      [],
    );
    const acceptedBad = judge(
      'expired',
      'refused',
      observe([ev('tcp-accept', 1), ev('client-hello', 1), ev('secure', 1, 'T'), ev('app-data', 1)]),
      sut,
      [],
    );
    const control = judge('valid', 'accepted', hung, sut, []);
    expect(control.verdict).toBe('fail');
    const judged = requireControl([control, refusedBad, acceptedBad], control);
    expect(judged.map((x) => x.verdict)).toEqual(['fail', 'error', 'fail']);
    expect(judged[1]!.reason).toMatch(
      /^the client never completed a good handshake and sent its request \(valid: fail: .*\), so its refusals prove nothing \(would have been: refused: /,
    );
    expect(requireControl([refusedBad], undefined)[0]!.reason).toMatch(
      /^the valid certificate was not run, so its refusals prove nothing/,
    );
    const good = judge(
      'valid',
      'accepted',
      observe([ev('tcp-accept', 1), ev('client-hello', 1), ev('secure', 1, 'T'), ev('app-data', 1)]),
      sut,
      [],
    );
    expect(requireControl([good, refusedBad], good).map((x) => x.verdict)).toEqual(['pass', 'pass']);
  });

  it('recognises a ClientHello record (RFC 8446 §5.1, §4)', () => {
    expect(isClientHello(Buffer.from([22, 3, 1, 0, 200, 1, 0, 0, 196]))).toBe(true);
    expect(isClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toBe(false);
    expect(isClientHello(Buffer.from([22, 3, 3, 0, 10, 2]))).toBe(false); // a ServerHello
  });
});
