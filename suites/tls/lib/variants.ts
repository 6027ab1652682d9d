/**
 * The certificates each `tls.client-verifies` variant presents, made at run time (../../lib/tls/certs.ts).
 * One trusted root per run (the SUT's `${ca}`); every variant gets a fresh leaf. The `valid`
 * leaf carries the run's pinned key (`${pin}`); `pinned-mismatch` is the same valid chain with
 * another key — what a CA that mis-issues, or a corporate MITM CA in the trust store, presents.
 */
import {
  certPem,
  createRootCa,
  createSelfSignedLeaf,
  generateKey,
  issue,
  keyPem,
  type Issued,
  type KeyPair,
} from '../../lib/tls/certs.ts';

export const VARIANTS = [
  'valid',
  'untrusted-ca',
  'wrong-name',
  'expired',
  'not-yet-valid',
  'self-signed',
  'missing-intermediate',
  'weak-key',
  'sha1-signature',
  'pinned-mismatch',
] as const;
export type Variant = (typeof VARIANTS)[number];

/** What accepting a variant's certificate means (the failure names it); `valid` is the one to accept. */
export const ACCEPT_MEANS: Record<Variant, string> = {
  valid: 'accepted the valid certificate',
  'untrusted-ca': "accepted a certificate from an untrusted CA: a MITM proxy would read this client's traffic",
  'wrong-name':
    'accepted a certificate issued to another name: any server with a certificate from a trusted CA could impersonate this one',
  expired:
    'accepted an expired certificate: a leaked key stays usable after its certificate ran out (RFC 5280 §4.1.2.5)',
  'not-yet-valid':
    'accepted a certificate that is not valid yet: the client does not check validity dates (RFC 5280 §4.1.2.5)',
  'self-signed':
    "accepted a self-signed certificate: anyone can make one, so a MITM proxy would read this client's traffic",
  'missing-intermediate':
    'accepted a leaf without the intermediate that links it to the CA: the client built no chain to its trust anchor, so it likely verifies nothing',
  'weak-key': 'accepted a 1024-bit RSA key: within reach of factoring, disallowed since 2013 (NIST SP 800-131A)',
  'sha1-signature':
    'accepted a SHA-1-signed certificate: SHA-1 collisions are practical (SHAttered, 2017), so such a certificate can be forged',
  'pinned-mismatch':
    'accepted a valid chain whose key is not the pinned one: the pin is not checked, so any CA the device trusts (a corporate MITM CA too) could impersonate the server',
};

export interface Presented {
  /** PEM chain the server sends (leaf first). */
  chainPem: string;
  keyPem: string;
  /** One line for the report: what this certificate is. */
  what: string;
}

export interface RunPki {
  root: Issued;
  caPem: string;
  pinned: KeyPair;
  serverName: string;
}

export async function makeRunPki(serverName: string): Promise<RunPki> {
  const root = await createRootCa({ name: 'netconform test root CA' });
  return { root, caPem: certPem(root.cert), pinned: await generateKey(), serverName };
}

const DAY = 86_400_000;
const leafPem = async (l: Issued, chain: Issued[] = []): Promise<Pick<Presented, 'chainPem' | 'keyPem'>> => ({
  chainPem: [l, ...chain].map((c) => certPem(c.cert)).join(''),
  keyPem: await keyPem(l.key),
});

/** The certificate and key the server presents for `v`. */
export async function presentedFor(v: Variant, pki: RunPki): Promise<Presented> {
  const name = pki.serverName;
  const dns = [name];
  const now = Date.now();
  switch (v) {
    case 'valid':
      return {
        ...(await leafPem(await issue(pki.root, { name, dns, key: pki.pinned }))),
        what: `leaf for ${name} from the trusted CA (the pinned key)`,
      };
    case 'untrusted-ca': {
      // Same subject as the real CA, as a MITM proxy's CA would be; another key.
      const other = await createRootCa({ name: pki.root.cert.subject.replace(/^CN=/, '') });
      return {
        ...(await leafPem(await issue(other, { name, dns }))),
        what: `leaf for ${name} from another CA with the same name`,
      };
    }
    case 'wrong-name': {
      const wrong = `wrong-name.${name.split('.').slice(1).join('.') || 'invalid'}`;
      return {
        ...(await leafPem(await issue(pki.root, { name: wrong, dns: [wrong] }))),
        what: `leaf for ${wrong} (not ${name}) from the trusted CA`,
      };
    }
    case 'expired':
      return {
        ...(await leafPem(
          await issue(pki.root, {
            name,
            dns,
            validity: { notBefore: new Date(now - 3 * DAY), notAfter: new Date(now - DAY) },
          }),
        )),
        what: 'leaf from the trusted CA that expired a day ago',
      };
    case 'not-yet-valid':
      return {
        ...(await leafPem(
          await issue(pki.root, {
            name,
            dns,
            validity: { notBefore: new Date(now + DAY), notAfter: new Date(now + 3 * DAY) },
          }),
        )),
        what: 'leaf from the trusted CA valid from tomorrow',
      };
    case 'self-signed':
      return { ...(await leafPem(await createSelfSignedLeaf({ name, dns }))), what: `self-signed leaf for ${name}` };
    case 'missing-intermediate': {
      const mid = await issue(pki.root, { name: 'netconform test intermediate CA', ca: true });
      return {
        ...(await leafPem(await issue(mid, { name, dns }))),
        what: 'leaf signed by an intermediate under the trusted CA; the server sends the leaf only (no AIA to fetch it from)',
      };
    }
    case 'weak-key':
      return {
        ...(await leafPem(await issue(pki.root, { name, dns, keySpec: { kind: 'rsa', bits: 1024 } }))),
        what: 'leaf from the trusted CA with an RSA 1024-bit key',
      };
    case 'sha1-signature':
      return {
        ...(await leafPem(await issue(pki.root, { name, dns, hash: 'SHA-1' }))),
        what: 'leaf from the trusted CA signed ecdsa-with-SHA1',
      };
    case 'pinned-mismatch':
      return {
        ...(await leafPem(await issue(pki.root, { name, dns }))),
        what: `valid leaf for ${name} from the trusted CA with a key other than the pinned one`,
      };
  }
}
