/**
 * profiles/tls.yaml through the real runner in a real lab (root), with tcpdump in the lan
 * segment's switch namespace as the witness: every variant's verdict came from a real
 * connection (one ClientHello naming ${server.name} per variant, from its own client port),
 * and a SUT that crashes or speaks plain TCP is an error naming what the server saw — tcpdump
 * confirms nothing (or no TLS) reached the server.
 */
import { describe, expect, it } from 'vitest';
import type { Witness } from './helpers-net/witness.ts';
import { checkNamed, netnsOfRuns, runWitnessed, scenario, witnessedLabNeeds } from './helpers-net/run.ts';

const NAME = 'tls-server.netconform.test';
/** Client ports whose packets to `port` carried the SNI name in clear (a ClientHello, RFC 6066 §3). */
const helloPorts = (w: Witness, port: number): Set<string> =>
  new Set(
    w.packets
      .filter((p) => p.header.includes(`.${port}: `) && p.payload.includes(NAME))
      .map((p) => /\.(\d+) > [\d.]+\.\d+:/.exec(p.header)?.[1] ?? '?'),
  );

const neverTried = `profile: tls-never-tried
lab:
  segments: { lan: {} }
  hosts:
    client: { links: [{ segment: lan }] }
    server: { links: [{ segment: lan }] }
scenarios:
  - id: crashes
    use: tls.client-verifies
    sut: { host: client, command: [python3, -c, "import sys; print('boom: no TLS for you'); sys.exit(9)"] }
    with: { port: 4451, variantTimeoutMs: 3000 }
    expect: { variants: { valid: accepted, untrusted-ca: refused } }
  - id: plain-tcp
    use: tls.client-verifies
    sut: { host: client, command: [python3, -c, "import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2]))); s.sendall(b'hello in clear'); print('sent')", '\${server.address}', '\${server.port}'] }
    with: { port: 4452, variantTimeoutMs: 8000 }
    expect: { variants: { untrusted-ca: refused } }
  - id: says-nothing
    use: tls.client-verifies
    sut: { host: client, command: [python3, -c, "import socket,ssl,sys; c=ssl.create_default_context(cafile=sys.argv[3]); t=c.wrap_socket(socket.create_connection((sys.argv[1], int(sys.argv[2]))), server_hostname=sys.argv[4]); t.close()", '\${server.address}', '\${server.port}', '\${ca}', '\${server.name}'] }
    with: { port: 4453, variantTimeoutMs: 8000 }
    expect: { variants: { untrusted-ca: refused, expired: refused } }
`;

describe.skipIf(!witnessedLabNeeds.ok)(witnessedLabNeeds.title('tls.client-verifies in a lab'), () => {
  it('profiles/tls.yaml: verifying clients pass, known-bad ones xfail; each variant one real ClientHello; never-tried SUTs are errors', async () => {
    const r = await runWitnessed(['profiles/tls.yaml', neverTried], {
      filter: 'tcp portrange 4443-4453',
      segments: ['lan'],
    });
    const verifying = scenario(r.result, 'verifying');
    expect(verifying.checks.map((c) => c.verdict)).toEqual(Array(9).fill('pass'));
    expect(checkNamed(verifying, /^valid /).reason).toMatch(
      /^accepted: handshake TLSv1\.[23] .* byte\(s\) of application data arrived/,
    );
    expect(checkNamed(verifying, /^untrusted-ca /).reason).toBe(
      'refused: the client sent alert unknown_ca (RFC 8446 §6.2)',
    );
    expect(checkNamed(verifying, /^expired /).reason).toBe(
      'refused: the client sent alert certificate_expired (RFC 8446 §6.2)',
    );
    const pinned = scenario(r.result, 'verifying-pinned');
    expect(pinned.checks.map((c) => c.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(checkNamed(pinned, /^pinned-mismatch /).reason).toMatch(
      /completed the handshake .* closed without sending application data/,
    );
    const none = scenario(r.result, 'verify-none');
    expect(none.checks.filter((c) => c.verdict === 'xfail')).toHaveLength(8); // every bad variant accepted
    expect(checkNamed(none, /^untrusted-ca /).reason).toContain(
      "accepted a certificate from an untrusted CA: a MITM proxy would read this client's traffic",
    );
    const noHost = scenario(r.result, 'no-hostname');
    expect(noHost.checks.filter((c) => c.verdict === 'xfail').map((c) => c.name)).toEqual([
      'wrong-name (expect refused)',
    ]);

    const crashes = scenario(r.result, 'crashes');
    expect(crashes.checks.map((c) => c.verdict)).toEqual(['error', 'error']);
    expect(crashes.checks[1]!.reason).toMatch(
      /^the SUT never tried TLS with the server \(no TCP connection reached the server\), so this is no refusal; it exited with code 9; it printed: .*boom: no TLS for you/,
    );
    const plain = scenario(r.result, 'plain-tcp');
    expect(plain.checks.map((c) => c.verdict)).toEqual(['fail', 'fail']);
    expect(plain.checks[1]!.reason).toBe(
      'never tried TLS and sent its request in plaintext: 14 byte(s) of the request arrived in clear on 1 plaintext connection(s)',
    );
    // A client that completes the handshake and sends nothing "refuses" everything: the control makes that an error.
    const silent = scenario(r.result, 'says-nothing');
    expect(silent.checks.map((c) => c.verdict)).toEqual(['fail', 'error', 'error']);
    expect(silent.checks[1]!.reason).toMatch(
      /^the client never completed a good handshake and sent its request \(valid: fail: refused the valid certificate/,
    );
    const fallback = scenario(r.result, 'fallback-plaintext');
    expect(checkNamed(fallback, /^valid /).verdict).toBe('pass');
    expect(checkNamed(fallback, /^untrusted-ca /).verdict).toBe('xfail');
    expect(checkNamed(fallback, /^untrusted-ca /).reason).toMatch(
      /fell back to plaintext after refusing the certificate \(the client sent alert unknown_ca .*\): 28 byte\(s\) of the request arrived in clear on 1 plaintext connection/,
    );

    // The witness: one ClientHello per variant run, each from its own connection.
    const lan = r.segments.get(r.runIds[0]!)!.get('lan')!;
    expect(helloPorts(lan, 4443).size).toBe(9);
    expect(helloPorts(lan, 4444).size).toBe(3);
    expect(helloPorts(lan, 4445).size).toBe(9);
    expect(helloPorts(lan, 4446).size).toBe(9);
    const lan2 = r.segments.get(r.runIds[1]!)!.get('lan')!;
    expect(lan2.packets.filter((p) => p.header.includes('.4451: '))).toEqual([]); // the crashing SUT sent nothing
    expect(lan2.packets.some((p) => p.header.includes('.4452: ') && p.payload.includes('hello in clear'))).toBe(true);
    expect(lan.packets.some((p) => p.header.includes('.4447: ') && p.payload.includes('GET /netconform'))).toBe(true);
    expect(r.root.packets).toEqual([]);
    expect(r.exitCode).not.toBe(0); // the never-tried profile's errors
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  }, 420_000);
});
