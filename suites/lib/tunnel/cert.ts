/**
 * A key and a self-signed certificate for the TLS gateway, generated at run time with the
 * `openssl` CLI (argv array, no shell) into a temp dir that `ctx.defer` removes. Generated per
 * scenario rather than shipped: a private key in the repo would be a trusted key anyone has,
 * and a fresh one per run means a client can only pass by verifying this run's certificate.
 *
 * openssl rather than an npm library: it is on every Debian/macOS box (the apt line of CI
 * names it), it is the tool a lab engineer would reach for, and it adds no dependency; when it
 * is missing the scenario is skipped with that reason.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { assertSafeDestination, UNICAST_ONLY } from '../../../harness/net/safety.ts';

export interface GatewayCert {
  dir: string;
  /** PEM certificate; also the CA a client must trust (it is self-signed). */
  cert: string;
  /** PEM private key (mode 0600). */
  key: string;
}

export type CertResult = { ok: true; cert: GatewayCert } | { ok: false; missing: boolean; reason: string };

export const CERT_CN = 'netconform-gateway';

/** openssl argv for a P-256 key + self-signed cert whose subjectAltName is the gateway's IP. */
export function opensslArgs(address: string, key: string, cert: string): string[] {
  return [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${CERT_CN}`, '-addext', `subjectAltName=IP:${address}`, '-keyout', key, '-out', cert,
  ];
}

/**
 * Generates the pair for `address` (lab or loopback only). `defer` registers the removal of
 * the temp dir before openssl runs, so a failure or timeout leaves nothing behind.
 */
export async function generateGatewayCert(address: string, defer: (f: () => unknown) => void, signal: AbortSignal): Promise<CertResult> {
  assertSafeDestination(address, UNICAST_ONLY); // the address clients dial
  const dir = await mkdtemp(join(tmpdir(), 'nc-gwtls-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  // The lab hosts share this filesystem; a SUT that drops privileges must still read the cert.
  await chmod(dir, 0o755);
  const cert = join(dir, 'gateway-cert.pem');
  const key = join(dir, 'gateway-key.pem');
  try {
    await execa('openssl', opensslArgs(address, key, cert), { cancelSignal: signal, timeout: 20_000, stdin: 'ignore' });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; shortMessage?: string; message: string };
    if (e.code === 'ENOENT') return { ok: false, missing: true, reason: 'gateway.tls needs the openssl command to generate a certificate at run time, and it is not installed (apt-get install openssl)' };
    const why = (e.stderr ?? '').trim().split('\n').slice(-2).join(' ') || e.shortMessage || e.message;
    return { ok: false, missing: false, reason: `openssl could not generate the gateway's certificate: ${why}` };
  }
  await chmod(key, 0o600);
  await chmod(cert, 0o644);
  return { ok: true, cert: { dir, cert, key } };
}
