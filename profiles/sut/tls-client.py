#!/usr/bin/env python3
"""Example TLS client SUT for tls.client-verifies: connects to ADDRESS:PORT, does a TLS
handshake using NAME for SNI (and, when verifying, for the name check), sends one line of
application data, and exits 0; a refused handshake prints `refused: ...` and exits 3.
  --mode verify       trusts only --ca, checks the name (ssl.create_default_context): refuses MITMs
  --mode verify-none  CERT_NONE, no name check: accepts anything (known bad)
  --mode no-hostname  trusts --ca but check_hostname off: accepts any name the CA issued (known bad)
  --mode fallback-plaintext  verifies as `verify`, but on a refused handshake sends its request again
                      in plaintext on a new connection (known bad: a MITM reads it)
  --pin B64           also require base64 SHA-256 of the leaf's SubjectPublicKeyInfo (RFC 7469 §2.4),
                      checked after the handshake and before any data is sent
Usage: tls-client.py --address A --port P --name N --ca FILE [--mode M] [--pin B64]"""
import argparse, base64, hashlib, socket, ssl, sys


def der_tlv(buf, off):
    """(tag, start of contents, end) of the DER element at off (X.690 §8.1)."""
    tag, n = buf[off], buf[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[off:off + k], "big")
        off += k
    return tag, off, off + n


def spki_of(cert_der):
    """The SubjectPublicKeyInfo element of an X.509 certificate (RFC 5280 §4.1): the 7th field of
    tbsCertificate, or the 6th when the optional [0] version is absent."""
    _, c, _ = der_tlv(cert_der, 0)          # Certificate
    _, t, t_end = der_tlv(cert_der, c)     # tbsCertificate
    fields, off = [], t
    while off < t_end:
        tag, s, e = der_tlv(cert_der, off)
        fields.append((tag, off, e))
        off = e
    if fields[0][0] == 0xA0:
        fields = fields[1:]
    _, start, end = fields[5]               # serial, signature, issuer, validity, subject, spki
    return cert_der[start:end]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--mode", choices=["verify", "verify-none", "no-hostname", "fallback-plaintext"], default="verify")
    ap.add_argument("--pin")
    a = ap.parse_args()
    if a.mode == "verify-none":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=a.ca)
        ctx.check_hostname = a.mode == "verify"
    raw = socket.create_connection((a.address, a.port), timeout=5)
    try:
        tls = ctx.wrap_socket(raw, server_hostname=a.name)
    except ssl.SSLError as e:
        print(f"refused: {e}", flush=True)
        if a.mode == "fallback-plaintext":
            plain = socket.create_connection((a.address, a.port), timeout=5)
            plain.sendall(b"GET /netconform HTTP/1.0\r\n\r\n")
            print("sent the request in plaintext instead", flush=True)
            plain.close()
        return 3
    if a.pin:
        got = base64.b64encode(hashlib.sha256(spki_of(tls.getpeercert(binary_form=True))).digest()).decode()
        if got != a.pin:
            print(f"refused: pin mismatch (got {got}, pinned {a.pin})", flush=True)
            tls.close()
            return 3
    print(f"connected {tls.version()} {tls.cipher()[0]}", flush=True)
    tls.sendall(b"GET /netconform HTTP/1.0\r\n\r\n")
    tls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
