/**
 * Certificates made at run time, in-process, with `@peculiar/x509` over Node's WebCrypto: CAs,
 * intermediates and leaves with chosen names, validity, key type and signature hash. Made per
 * run rather than shipped: a private key in the repo would be a trusted key anyone has, and a
 * fresh one per run means a client can only pass by verifying this run's certificates.
 * No openssl command is needed (the earlier gateway code shelled out to it).
 *
 * Profiles of X.509 (RFC 5280): a CA has basicConstraints cA=TRUE (critical) and keyCertSign;
 * a leaf has cA=FALSE, digitalSignature, serverAuth (extKeyUsage) and its names in
 * subjectAltName — clients match the name there, not in the CN (RFC 6125 §6.4.4).
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

// Node's webcrypto is the standard Crypto; the library's type for it comes from the DOM lib.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const subtle = webcrypto.subtle;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
/** The library's key type (the DOM CryptoKey), structurally Node's. */
type LibKey = Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0];
const lib = (k: CryptoKey): LibKey => k as unknown as LibKey;

/** Key types a certificate can carry: P-256 for everything normal, RSA for the weak-key case. */
export type KeySpec = { kind: 'ec-p256' } | { kind: 'rsa'; bits: number };
/** The hash a certificate is signed with (sha1: the deprecated case, RFC 9155 / CA/B BR 7.1.3). */
export type SignHash = 'SHA-256' | 'SHA-1';

export interface KeyPair {
  spec: KeySpec;
  keys: CryptoKeyPair;
}

export interface Issued {
  cert: x509.X509Certificate;
  key: KeyPair;
}

const DAY_MS = 86_400_000;

function keyAlgorithm(spec: KeySpec, hash: SignHash): webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams {
  if (spec.kind === 'ec-p256') return { name: 'ECDSA', namedCurve: 'P-256', hash };
  return { name: 'RSASSA-PKCS1-v1_5', modulusLength: spec.bits, publicExponent: new Uint8Array([1, 0, 1]), hash };
}

export async function generateKey(spec: KeySpec = { kind: 'ec-p256' }): Promise<KeyPair> {
  const keys = (await subtle.generateKey(keyAlgorithm(spec, 'SHA-256'), true, ['sign', 'verify'])) as CryptoKeyPair;
  return { spec, keys };
}

/** The signing algorithm of `issuer`'s key with `hash`. */
function signingAlgorithm(issuer: KeyPair, hash: SignHash): { name: string; hash: string } {
  return issuer.spec.kind === 'ec-p256' ? { name: 'ECDSA', hash } : { name: 'RSASSA-PKCS1-v1_5', hash };
}

/**
 * The key re-imported for `hash`: WebCrypto binds the hash to an RSA key at import, so an
 * RSA issuer signing with SHA-1 needs its own handle (ECDSA takes the hash per signature).
 */
async function signingKey(issuer: KeyPair, hash: SignHash): Promise<CryptoKey> {
  if (issuer.spec.kind === 'ec-p256') return issuer.keys.privateKey;
  const pkcs8 = await subtle.exportKey('pkcs8', issuer.keys.privateKey);
  return subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']);
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** Valid from an hour ago (clock skew between lab hosts is none, but a SUT's may be) for `days`. */
export function validFor(days: number, now = Date.now()): Validity {
  return { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + days * DAY_MS) };
}

const serial = (): string => {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive INTEGER (RFC 5280 §4.1.2.2)
  return b.toString('hex');
};

export interface CaOptions {
  name: string;
  validity?: Validity;
  key?: KeySpec;
}

/** A self-signed root CA. */
export async function createRootCa(o: CaOptions): Promise<Issued> {
  const key = await generateKey(o.key);
  const v = o.validity ?? validFor(30);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${o.name}`,
    ...v,
    signingAlgorithm: signingAlgorithm(key, 'SHA-256'),
    keys: { publicKey: lib(key.keys.publicKey), privateKey: lib(key.keys.privateKey) },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(lib(key.keys.publicKey)),
    ],
  });
  return { cert, key };
}

export interface IssueOptions {
  /** Subject CN. */
  name: string;
  /** subjectAltName entries: DNS names and IP addresses. */
  dns?: string[];
  ips?: string[];
  validity?: Validity;
  /** The subject's key; a fresh P-256 key when absent. */
  key?: KeyPair;
  keySpec?: KeySpec;
  hash?: SignHash;
  /** An intermediate CA (cA=TRUE, pathLen 0) instead of a leaf. */
  ca?: boolean;
}

/** A certificate for `o.name` signed by `issuer`; `issuer` undefined = self-signed (a leaf that is its own issuer). */
export async function issue(issuer: Issued | undefined, o: IssueOptions): Promise<Issued> {
  const key = o.key ?? (await generateKey(o.keySpec));
  const signer = issuer?.key ?? key;
  const hash = o.hash ?? 'SHA-256';
  const names: x509.JsonGeneralName[] = [
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = o.ca
    ? [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ]
    : [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | (key.spec.kind === 'rsa' ? x509.KeyUsageFlags.keyEncipherment : 0),
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(lib(key.keys.publicKey)));
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(lib(issuer.key.keys.publicKey)));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${o.name}`,
    issuer: issuer ? issuer.cert.subject : `CN=${o.name}`,
    ...(o.validity ?? validFor(1)),
    signingAlgorithm: signingAlgorithm(signer, hash),
    publicKey: lib(key.keys.publicKey),
    signingKey: lib(await signingKey(signer, hash)),
    extensions,
  });
  return { cert, key };
}

export const certPem = (c: x509.X509Certificate): string => `${c.toString('pem')}\n`;

/** The private key as PKCS#8 PEM (what node:tls and OpenSSL load). */
export async function keyPem(k: KeyPair): Promise<string> {
  const der = await subtle.exportKey('pkcs8', k.keys.privateKey);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/**
 * The key's pin: base64 SHA-256 of its SubjectPublicKeyInfo DER, as in HPKP's pin-sha256
 * (RFC 7469 §2.4) and OkHttp's CertificatePinner.
 */
export async function spkiPin(k: KeyPair): Promise<string> {
  const spki = Buffer.from(await subtle.exportKey('spki', k.keys.publicKey));
  return createHash('sha256').update(spki).digest('base64');
}

/** A self-signed leaf (cA=FALSE): what `openssl req -x509` makes for a quick server, and what anyone can make. */
export function createSelfSignedLeaf(o: IssueOptions): Promise<Issued> {
  return issue(undefined, o);
}
