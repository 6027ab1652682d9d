/**
 * The TLS server a `tls.client-verifies` variant presents, run as its own process in a lab host
 * (`node --import tsx server.ts --address A --port P --cert F --key F`). It is the verdict's
 * witness, so it reports what it saw on the wire, per connection, as JSON lines (../../lib/tunnel/events.ts):
 *
 *   listening      n.port
 *   tcp-accept     a TCP connection arrived (detail: peer)
 *   client-hello   its first bytes are a TLS handshake record carrying a ClientHello
 *                  (RFC 8446 §5.1: ContentType 22, then HandshakeType 1 §4) — the client tried TLS
 *   not-tls        its first bytes are something else (detail: hex of the first 8; n.bytes); the
 *                  server keeps reading, and its close counts every byte that came in clear
 *   tls-error      the handshake failed (detail: OpenSSL's code, e.g. ERR_SSL_TLSV1_ALERT_UNKNOWN_CA:
 *                  the client's alert, RFC 8446 §6.2) or the client hung up mid-handshake
 *   secure         the handshake completed (detail: protocol, cipher, SNI)
 *   app-data       application data arrived after it (n.bytes, first chunk)
 *   close          the connection ended (n.bytes: application bytes received on it)
 *
 * The server lowers its own OpenSSL security level to 0: it plays the attacker and must be able
 * to present a 1024-bit RSA key or a SHA-1-signed certificate; refusing them is the client's job.
 * At most 32 connections (a retrying client is bounded), then it resets new ones.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { assertSafeBindAddress } from '../../../harness/net/safety.ts';
import { emitEvent, numArg, parseArgs } from '../../lib/tunnel/events.ts';

const MAX_CONNECTIONS = 32;
const emit = (event: string, extra: Parameters<typeof emitEvent>[2] = {}): void =>
  emitEvent('tls-server', event, extra);

/** True when `b` starts a TLS record of type handshake (22) whose first message is a ClientHello (1). */
export function isClientHello(b: Buffer): boolean {
  return b.length >= 6 && b[0] === 22 && b[1] === 3 && b[5] === 1;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const address = args.get('address') ?? '0.0.0.0';
  assertSafeBindAddress(address);
  const port = numArg(args, 'port', 0);
  const certFile = args.get('cert');
  const keyFile = args.get('key');
  if (!certFile || !keyFile) throw new Error('--cert and --key are required');
  // createSecureContext throws here (not per connection) when OpenSSL cannot load the pair.
  const secureContext = tls.createSecureContext({
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    ciphers: 'DEFAULT@SECLEVEL=0',
  });
  let connections = 0;

  const server = net.createServer((raw) => {
    const id = ++connections;
    if (id > MAX_CONNECTIONS) return void raw.resetAndDestroy();
    const peer = `${raw.remoteAddress}:${raw.remotePort}`;
    emit('tcp-accept', { session: id, detail: peer });
    let bytes = 0;
    let plaintext = -1;
    let secured = false;
    let failed = false;
    raw.once('data', (first: Buffer) => {
      raw.pause();
      if (!isClientHello(first)) {
        // A client that fell back to plaintext sends its request here: every byte is what a MITM reads.
        plaintext = first.length;
        emit('not-tls', { session: id, detail: first.subarray(0, 8).toString('hex'), n: { bytes: first.length } });
        raw.on('data', (chunk: Buffer) => {
          plaintext += chunk.length;
        });
        raw.once('close', () => emit('close', { session: id, n: { bytes: plaintext } }));
        raw.resume();
        return;
      }
      emit('client-hello', { session: id, n: { bytes: first.length } });
      // Put the bytes back: TLSSocket feeds a wrapped socket's buffered data to OpenSSL first.
      raw.unshift(first);
      const sock = new tls.TLSSocket(raw, { isServer: true, secureContext });
      const fail = (why: string): void => {
        if (secured || failed) return;
        failed = true;
        emit('tls-error', { session: id, detail: why.replace(/\s+/g, ' ').trim() });
      };
      sock.on('secure', () => {
        secured = true;
        emit('secure', {
          session: id,
          detail: `${sock.getProtocol() ?? '?'} ${sock.getCipher().name} sni=${(sock as tls.TLSSocket & { servername?: string | false }).servername || '-'}`,
        });
      });
      sock.on('data', (chunk: Buffer) => {
        if (bytes === 0) emit('app-data', { session: id, n: { bytes: chunk.length } });
        bytes += chunk.length;
      });
      sock.on('error', (err: NodeJS.ErrnoException) => fail(`${err.code ?? 'ERROR'} ${err.message}`));
      sock.on('close', () => {
        fail('CLOSED the client closed the connection before the handshake completed');
        emit('close', { session: id, n: { bytes } });
      });
    });
    raw.on('error', () => undefined); // reported through the TLS socket, or as a close
    raw.on('close', () => {
      if (plaintext < 0 && !secured && !failed && bytes === 0 && raw.listenerCount('data') > 0)
        emit('close', { session: id, n: { bytes: 0 } });
    });
  });
  const shutdown = (): void => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 300).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  server.on('error', (err) => {
    emit('fatal', { detail: err.message });
    process.exit(1);
  });
  server.listen(port, address, () =>
    emit('listening', {
      detail: `${address}:${(server.address() as net.AddressInfo).port}`,
      n: { port: (server.address() as net.AddressInfo).port },
    }),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  try {
    main();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    emit('fatal', { detail: `${e.code ?? 'ERROR'} ${e.message}` });
    process.exit(2);
  }
}
