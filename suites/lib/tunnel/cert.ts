/**
 * A key and a self-signed certificate for the TLS gateway, made at run time in-process
 * (../tls/certs.ts: @peculiar/x509 over WebCrypto, no openssl) into the lab's files (a temp dir
 * without a lab) that `ctx.defer` removes. Generated per scenario rather than shipped: a private
 * key in the repo would be a trusted key anyone has, and a fresh one per run means a client can only pass by verifying
 * this run's certificate.
 */
import { assertSafeDestination, UNICAST_ONLY } from '../../../harness/net/safety.ts';
import { certPem, createSelfSignedLeaf, keyPem } from '../tls/certs.ts';
import { pemDir } from '../tls/pem-files.ts';

export interface GatewayCert {
  dir: string;
  /** PEM certificate; also the CA a client must trust (it is self-signed). */
  cert: string;
  /** PEM private key (mode 0600). */
  key: string;
}

export type CertResult = { ok: true; cert: GatewayCert } | { ok: false; reason: string };

export const CERT_CN = 'netconform-gateway';

/**
 * Generates the pair for `address` (lab or loopback only): P-256, valid one day, its
 * subjectAltName the gateway's IP. `defer` registers the removal of the temp dir before
 * anything is written, so a failure or timeout leaves nothing behind.
 */
export async function generateGatewayCert(
  address: string,
  defer: (f: () => unknown) => void,
  signal: AbortSignal,
  lab?: { runId: string },
): Promise<CertResult> {
  assertSafeDestination(address, UNICAST_ONLY); // the address clients dial
  const files = await pemDir(lab ? 'gwtls-' : 'nc-gwtls-', defer, lab);
  try {
    const made = await createSelfSignedLeaf({ name: CERT_CN, ips: [address] });
    signal.throwIfAborted();
    const cert = await files.write('gateway-cert.pem', certPem(made.cert));
    const key = await files.write('gateway-key.pem', await keyPem(made.key), 0o600);
    return { ok: true, cert: { dir: files.dir, cert, key } };
  } catch (err) {
    if (signal.aborted) throw err;
    return { ok: false, reason: `could not generate the gateway's certificate: ${(err as Error).message}` };
  }
}
